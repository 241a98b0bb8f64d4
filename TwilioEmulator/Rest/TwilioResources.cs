using System.Globalization;
using System.Text.Json.Nodes;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Rest;

/// <summary>Calls, conferences and participants in the JSON shape of Twilio's v2010 API.</summary>
public static class TwilioResources
{
    public static string AccountPath(string accountSid) => $"/2010-04-01/Accounts/{accountSid}";

    public static JsonObject Call(Call call)
    {
        var uri = $"{AccountPath(call.AccountSid)}/Calls/{call.Sid}";
        return new JsonObject
        {
            ["sid"] = call.Sid,
            ["date_created"] = Rfc2822.Format(call.DateCreated),
            ["date_updated"] = Rfc2822.Format(call.DateUpdated),
            ["parent_call_sid"] = null,
            ["account_sid"] = call.AccountSid,
            ["to"] = call.To,
            ["to_formatted"] = call.To,
            ["from"] = call.From,
            ["from_formatted"] = call.From,
            ["phone_number_sid"] = null,
            ["status"] = call.Status,
            ["start_time"] = call.StartTime is null ? null : Rfc2822.Format(call.StartTime),
            ["end_time"] = call.EndTime is null ? null : Rfc2822.Format(call.EndTime),
            ["duration"] = call.DurationSeconds?.ToString(CultureInfo.InvariantCulture),
            ["price"] = null,
            ["price_unit"] = "USD",
            ["direction"] = call.Direction,
            ["answered_by"] = null,
            ["api_version"] = "2010-04-01",
            ["forwarded_from"] = null,
            ["group_sid"] = null,
            ["caller_name"] = null,
            ["queue_time"] = "0",
            ["trunk_sid"] = null,
            ["uri"] = $"{uri}.json",
            ["subresource_uris"] = new JsonObject
            {
                ["notifications"] = $"{uri}/Notifications.json",
                ["recordings"] = $"{uri}/Recordings.json",
                ["events"] = $"{uri}/Events.json",
            },
        };
    }

    public static JsonObject Conference(Conference conference)
    {
        var uri = $"{AccountPath(conference.AccountSid)}/Conferences/{conference.Sid}";
        return new JsonObject
        {
            ["account_sid"] = conference.AccountSid,
            ["date_created"] = Rfc2822.Format(conference.DateCreated),
            ["date_updated"] = Rfc2822.Format(conference.DateUpdated),
            ["api_version"] = "2010-04-01",
            ["friendly_name"] = conference.FriendlyName,
            ["region"] = "us1",
            ["sid"] = conference.Sid,
            ["status"] = conference.Status,
            ["uri"] = $"{uri}.json",
            ["subresource_uris"] = new JsonObject
            {
                ["participants"] = $"{uri}/Participants.json",
                ["recordings"] = $"{uri}/Recordings.json",
            },
            ["reason_conference_ended"] = conference.ReasonConferenceEnded,
            ["call_sid_ending_conference"] = conference.CallSidEndingConference,
        };
    }

    public static JsonObject Participant(Participant participant) => new()
    {
        ["account_sid"] = participant.Conference.AccountSid,
        ["call_sid"] = participant.CallSid,
        ["label"] = participant.Label,
        ["call_sid_to_coach"] = null,
        ["coaching"] = false,
        ["conference_sid"] = participant.Conference.Sid,
        ["date_created"] = Rfc2822.Format(participant.DateCreated),
        ["date_updated"] = Rfc2822.Format(participant.DateUpdated),
        ["end_conference_on_exit"] = participant.EndConferenceOnExit,
        ["muted"] = participant.Muted,
        ["hold"] = participant.Hold,
        ["start_conference_on_enter"] = participant.StartConferenceOnEnter,
        ["status"] = participant.Status,
        ["queue_time"] = "0",
        ["uri"] = $"{AccountPath(participant.Conference.AccountSid)}/Conferences/{participant.Conference.Sid}/Participants/{participant.CallSid}.json",
    };

    /// <summary>A list's filters as a query string for its page URIs; filters not given are left out.</summary>
    public static string Query(params (string Key, string Value)[] filters) =>
        string.Join('&', filters.Where(filter => filter.Value.Length > 0)
            .Select(filter => $"{filter.Key}={Uri.EscapeDataString(filter.Value)}"));

    private const int DefaultPageSize = 50;

    /// <summary>The page asked for: Page from 0, PageSize 1–1000 (50 when missing or out of range).</summary>
    public static (int Page, int PageSize) Paging(HttpRequest request)
    {
        var size = int.TryParse(request.Query["PageSize"], out var pageSize) && pageSize is > 0 and <= 1000 ? pageSize : DefaultPageSize;
        var page = int.TryParse(request.Query["Page"], out var number) && number >= 0 ? number : 0;

        // (Page + 1) * PageSize must fit an int: a page that far out is empty anyway.
        return (Math.Min(page, int.MaxValue / size - 1), size);
    }

    /// <summary>A v2010 list page; only the page's own items are turned into JSON.</summary>
    public static JsonObject Page<T>(string key, string path, IReadOnlyList<T> items, Func<T, JsonObject> toJson, int page, int pageSize, string query)
    {
        var pageItems = items.Skip(page * pageSize).Take(pageSize).Select(toJson).ToList();
        var hasNext = (page + 1) * pageSize < items.Count;
        string Uri(int p) => $"{path}?{query}{(query.Length > 0 ? "&" : string.Empty)}PageSize={pageSize}&Page={p}";
        return new JsonObject
        {
            [key] = new JsonArray([.. pageItems]),
            ["end"] = Math.Max(0, page * pageSize + pageItems.Count - 1),
            ["first_page_uri"] = Uri(0),
            ["next_page_uri"] = hasNext ? Uri(page + 1) : null,
            ["page"] = page,
            ["page_size"] = pageSize,
            ["previous_page_uri"] = page > 0 ? Uri(page - 1) : null,
            ["start"] = page * pageSize,
            ["uri"] = Uri(page),
        };
    }
}
