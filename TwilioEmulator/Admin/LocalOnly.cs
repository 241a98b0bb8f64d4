using System.Net;

namespace WarmTransfer.TwilioEmulator.Admin;

/// <summary>
/// The emulator's admin API and its page (place customer calls, inject faults, read every event) answer only callers on this
/// machine: anyone else gets a 403. The REST API, the softphone socket and the SDK stay open, as Twilio's are.
/// </summary>
public static class LocalOnly
{
    public static IApplicationBuilder UseAdminFromThisMachineOnly(this IApplicationBuilder app) =>
        app.UseWhen(http => IsAdmin(http.Request.Path), admin => admin.Use(async (http, next) =>
        {
            if (http.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address))
            {
                await next(http);
                return;
            }

            await TypedResults.Problem("The emulator's admin API and page answer only on the machine it runs on.",
                statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(http);
        }));

    private static bool IsAdmin(PathString path) =>
        path.StartsWithSegments("/admin") || path == "/" || path.StartsWithSegments("/index.html") || path.StartsWithSegments("/admin.js") || path.StartsWithSegments("/admin.css");
}
