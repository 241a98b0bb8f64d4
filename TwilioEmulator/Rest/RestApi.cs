using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Admin;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Rest;

public static class RestApi
{
    public const string AccountRoute = "/2010-04-01/Accounts/{AccountSid}";

    /// <summary>The v2010 REST subset: Basic auth, injected faults and the request log apply to every route.</summary>
    public static IEndpointRouteBuilder MapTwilioRestApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(AccountRoute)
            .AddEndpointFilter(AuthenticateAsync)
            .AddEndpointFilter(LogAndInjectFaultsAsync);

        api.MapCallsApi();
        api.MapConferencesApi();
        api.MapParticipantsApi();

        // Anything else under the API, including a method a route does not take (DELETE Calls.json), answers as
        // Twilio does: a JSON 20404, not an empty 404 or 405 a client cannot parse. Credentials are checked first,
        // so a path the emulator does not serve cannot tell a caller with bad credentials anything.
        app.MapFallback("/2010-04-01/{**path}", (HttpRequest request) => TwilioResults.NotFound(request.Path))
            .AddEndpointFilter(AuthenticateAsync);
        return app;
    }

    /// <summary>Account SID and auth token, or API key SID and secret; the path's account must be the one authenticated.</summary>
    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var account = http.RequestServices.GetRequiredService<IOptions<EmulatorOptions>>().Value;
        if (!IsAuthorized(http.Request, account) || AccountInPath(http.Request) is { } named && named != account.AccountSid)
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"Twilio API\"";
            return TwilioResults.Error(StatusCodes.Status401Unauthorized, 20003, "Authenticate");
        }

        return await next(context);
    }

    /// <summary>The account a path names (<c>/2010-04-01/Accounts/{AccountSid}/…</c>), or null for a path under no account.</summary>
    private static string? AccountInPath(HttpRequest request)
    {
        if (request.RouteValues["AccountSid"] is string routed)
        {
            return routed;
        }

        const string accounts = "/2010-04-01/Accounts/";
        var path = request.Path.Value ?? string.Empty;
        if (!path.StartsWith(accounts, StringComparison.Ordinal))
        {
            return null;
        }

        // "/Accounts/AC….json" is the account itself, "/Accounts/AC…/Calls.json" something under it.
        var segment = path[accounts.Length..].Split('/')[0];
        return segment.EndsWith(".json", StringComparison.Ordinal) ? segment[..^".json".Length] : segment;
    }

    private static bool IsAuthorized(HttpRequest request, EmulatorOptions account)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }

        var separator = credentials.IndexOf(':');
        if (separator < 0)
        {
            return false;
        }

        var (user, password) = (credentials[..separator], credentials[(separator + 1)..]);
        return (FixedEquals(user, account.AccountSid) && FixedEquals(password, account.AuthToken))
            || (FixedEquals(user, account.ApiKeySid) && FixedEquals(password, account.ApiKeySecret));
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static async ValueTask<object?> LogAndInjectFaultsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var key = EndpointKey(http);
        var time = services.GetRequiredService<TimeProvider>();
        // A REST request is logged at the time it arrived, as Twilio counts calls per second.
        var received = time.GetUtcNow();
        // Every route's form is read here first: handlers reading it again get the parsed form, and never a malformed body.
        var form = await TwilioForm.ReadAsync(http.Request);

        var decision = services.GetRequiredService<FaultInjector>().Decide(key);
        if (form.Malformed is not null)
        {
            // A body that cannot be read is refused as it is; only the latency applies.
            decision = decision with { Fault = Fault.None, HoldBack = TimeSpan.Zero };
        }

        if (decision.Latency > TimeSpan.Zero)
        {
            await Task.Delay(decision.Latency, time, http.RequestAborted);
        }

        // Acted: what the request did and would have answered. Answered: what the client gets.
        var acted = form.Malformed ?? decision.Fault switch
        {
            Fault.TooManyRequests or Fault.ServerError => null,
            _ => await next(context),
        };
        if (decision.Fault is Fault.ActedThenServerError or Fault.ActedThenSlow && acted is not TwilioJsonResult { StatusCode: >= 200 and < 300 })
        {
            // Refused by the handler: nothing was carried out, so it is answered as it is, with no fault.
            decision = decision with { Fault = Fault.None, HoldBack = TimeSpan.Zero };
        }

        var answered = decision.Fault switch
        {
            Fault.TooManyRequests => TooManyRequests(http),
            Fault.ServerError or Fault.ActedThenServerError => ServerError(),
            _ => acted,
        };

        var gaveUp = false;
        if (decision.Fault == Fault.ActedThenSlow)
        {
            using var heldBack = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, decision.RulesChanged);
            try
            {
                await Task.Delay(decision.HoldBack, time, heldBack.Token);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client stopped waiting: what it asked for was done all the same.
                gaveUp = true;
            }
            catch (OperationCanceledException) when (decision.RulesChanged.IsCancellationRequested)
            {
                // The rule that held the answer back was changed or cleared: it goes now.
            }
        }

        var json = (acted ?? answered) as TwilioJsonResult;
        services.GetRequiredService<EventLog>().Add("rest", http.Request.Method, http.Request.Path + http.Request.QueryString,
            gaveUp ? null : (answered as TwilioJsonResult)?.StatusCode, form.ToDictionary(), json?.Body,
            callSid: http.Request.RouteValues["Sid"] as string ?? http.Request.RouteValues["CallSid"] as string,
            message: key,
            traceParent: http.Request.Headers.TryGetValue("traceparent", out var traceParent) ? traceParent.ToString() : null,
            timestamp: received,
            fault: decision.LogName);
        return answered;
    }

    private static TwilioJsonResult ServerError() =>
        TwilioResults.Error(StatusCodes.Status500InternalServerError, 20500, "An internal server error has occurred");

    private static TwilioJsonResult TooManyRequests(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "1";
        return TwilioResults.Error(StatusCodes.Status429TooManyRequests, 20429, "Too Many Requests");
    }

    /// <summary>"POST Calls.json", "GET Conferences/{Sid}.json": the key faults are injected by.</summary>
    public static string EndpointKey(HttpContext http)
    {
        var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? string.Empty;
        var relative = pattern.StartsWith(AccountRoute, StringComparison.Ordinal) ? pattern[(AccountRoute.Length + 1)..] : pattern;
        return $"{http.Request.Method} {relative}";
    }
}
