using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Rest;

public static class ConferencesApi
{
    public static void MapConferencesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/Conferences.json", List);
        api.MapGet("/Conferences/{Sid}.json", Fetch);
        api.MapPost("/Conferences/{Sid}.json", UpdateAsync);
    }

    private static TwilioJsonResult List(HttpRequest request, EmulatorState state)
    {
        var friendlyName = request.Query["FriendlyName"].ToString();
        var status = request.Query["Status"].ToString();
        var (page, pageSize) = TwilioResources.Paging(request);
        return state.Read(() =>
        {
            var conferences = state.Conferences.Values
                .Where(c => friendlyName.Length == 0 || c.FriendlyName == friendlyName)
                .Where(c => status.Length == 0 || c.Status == status)
                .OrderByDescending(c => c.DateCreated)
                .ToList();
            var query = TwilioResources.Query(("FriendlyName", friendlyName), ("Status", status));
            return TwilioResults.Ok(TwilioResources.Page("conferences", request.Path, conferences, TwilioResources.Conference, page, pageSize, query));
        });
    }

    private static TwilioJsonResult Fetch(string sid, HttpRequest request, EmulatorState state)
    {
        return state.Read(() => state.Conferences.TryGetValue(sid, out var conference)
                ? TwilioResults.Ok(TwilioResources.Conference(conference))
                : TwilioResults.NotFound(request.Path));
    }

    private static async Task<TwilioJsonResult> UpdateAsync(string sid, HttpRequest request, EmulatorState state, ConferenceEngine conferences)
    {
        var form = await TwilioForm.ReadAsync(request);
        if (state.FindConference(sid) is not { } conference)
        {
            return TwilioResults.NotFound(request.Path);
        }

        switch (form["Status"])
        {
            case null:
                break;
            case ConferenceStatus.Completed:
                conferences.End(conference, "conference-ended-via-api", null);
                break;
            default:
                return TwilioResults.Invalid(21218, $"Invalid Status: {form["Status"]}. Can be completed.");
        }

        return state.Read(() => TwilioResults.Ok(TwilioResources.Conference(conference)));
    }
}
