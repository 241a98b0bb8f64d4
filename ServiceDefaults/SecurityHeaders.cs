using Microsoft.AspNetCore.Builder;

namespace Microsoft.Extensions.Hosting;

public static class SecurityHeaders
{
    /// <summary>
    /// The headers every answer of a service with pages carries: its Content-Security-Policy (no inline script, no framing),
    /// no MIME sniffing, no referrer, and HSTS when it is served over https.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, string contentSecurityPolicy) =>
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = contentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                if (http.Request.IsHttps)
                {
                    headers.StrictTransportSecurity = "max-age=31536000";
                }

                return Task.CompletedTask;
            });
            return next(http);
        });

    /// <summary>A policy that allows the page's own files and nothing else, plus what <paramref name="extra"/> adds per directive.</summary>
    public static string ContentSecurityPolicy(params (string Directive, string Sources)[] extra)
    {
        var directives = new Dictionary<string, string>
        {
            ["default-src"] = "'self'",
            ["script-src"] = "'self'",
            ["style-src"] = "'self'",
            ["connect-src"] = "'self'",
            ["img-src"] = "'self' data:",
            ["media-src"] = "'self'",
            ["object-src"] = "'none'",
            ["base-uri"] = "'none'",
            ["form-action"] = "'self'",
            ["frame-ancestors"] = "'none'",
        };
        foreach (var (directive, sources) in extra)
        {
            directives[directive] = $"{directives[directive]} {sources}";
        }

        return string.Join("; ", directives.Select(directive => $"{directive.Key} {directive.Value}"));
    }
}
