using System.Text.Json.Nodes;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>Proves the OpenAPI validator itself catches the deviations it is meant to catch.</summary>
public sealed class OpenApiSpecTests
{
    private const string ConferenceTemplate = "/2010-04-01/Accounts/{AccountSid}/Conferences/{Sid}.json";

    private static readonly OpenApiSpec Spec = OpenApiSpec.Twilio;

    [Fact]
    public void The_specs_own_conference_example_is_valid()
    {
        var problems = Validate(SpecExample("fetchValidMixerZone"));

        Assert.Empty(problems);
    }

    [Fact]
    public void An_in_progress_conference_may_have_no_reason_for_ending()
    {
        var conference = SpecExample("fetchValidRegionInProgress");
        Assert.Null(conference["reason_conference_ended"]);

        Assert.Empty(Validate(conference));
    }

    [Fact]
    public void A_conference_with_an_unknown_status_is_rejected()
    {
        var conference = SpecExample("fetchValidMixerZone");
        conference["status"] = "bogus";

        var problem = Assert.Single(Validate(conference));
        Assert.Equal("$.status: 'bogus' is not one of init, in-progress, completed", problem);
    }

    [Fact]
    public void A_conference_missing_a_property_is_rejected()
    {
        var conference = SpecExample("fetchValidMixerZone");
        conference.Remove("region");

        var problem = Assert.Single(Validate(conference));
        Assert.Contains("$.region", problem, StringComparison.Ordinal);
        Assert.Contains("missing", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_conference_with_a_property_twilio_does_not_return_is_rejected()
    {
        var conference = SpecExample("fetchValidMixerZone");
        conference["emulator_only"] = true;

        var problem = Assert.Single(Validate(conference));
        Assert.Contains("$.emulator_only", problem, StringComparison.Ordinal);
        Assert.Contains("unexpected property", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_conference_date_that_is_not_rfc_2822_is_rejected()
    {
        var conference = SpecExample("fetchValidMixerZone");
        conference["date_created"] = "2010-08-31";

        var problem = Assert.Single(Validate(conference));
        Assert.Contains("$.date_created", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_in_a_non_nullable_field_and_a_malformed_sid_are_both_reported()
    {
        var conference = SpecExample("fetchValidMixerZone");
        conference["status"] = null;
        conference["sid"] = "CF123";

        var problems = Validate(conference);

        Assert.Equal(3, problems.Count); // status null; sid too short; sid does not match its pattern
        Assert.Contains(problems, p => p.StartsWith("$.status: null", StringComparison.Ordinal));
        Assert.Equal(2, problems.Count(p => p.StartsWith("$.sid:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Problems_inside_a_list_page_name_the_array_index()
    {
        var page = new JsonObject
        {
            ["conferences"] = new JsonArray(SpecExample("fetchValidMixerZone"), BogusStatus(SpecExample("fetchValidMixerZone"))),
            ["end"] = 1,
            ["first_page_uri"] = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conferences.json?PageSize=50&Page=0",
            ["next_page_uri"] = null,
            ["page"] = 0,
            ["page_size"] = 50,
            ["previous_page_uri"] = null,
            ["start"] = 0,
            ["uri"] = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conferences.json?PageSize=50&Page=0",
        };

        var problems = Spec.Validate("/2010-04-01/Accounts/{AccountSid}/Conferences.json", "GET", 200, page.ToJsonString());

        Assert.Equal(["$.conferences[1].status: 'bogus' is not one of init, in-progress, completed"], problems);
    }

    [Fact]
    public void A_response_the_spec_does_not_define_is_a_problem()
    {
        var problem = Assert.Single(Spec.Validate(ConferenceTemplate, "POST", 201, "{}"));

        Assert.StartsWith("no schema for POST", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_concrete_participant_path_maps_to_the_participant_template()
    {
        var template = Spec.FindPathTemplate(
            "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conferences/CFaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            + "/Participants/CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json?foo=bar");

        Assert.Equal("/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{CallSid}.json", template);
    }

    [Fact]
    public void A_literal_path_segment_wins_over_a_parameter()
    {
        Assert.Equal(
            "/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json",
            Spec.FindPathTemplate("/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Conferences/CFaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Participants.json"));
        Assert.Null(Spec.FindPathTemplate("/2010-04-01/Nope.json"));
    }

    private static IReadOnlyList<string> Validate(JsonObject conference) =>
        Spec.Validate(ConferenceTemplate, "GET", 200, conference.ToJsonString());

    private static JsonObject BogusStatus(JsonObject conference)
    {
        conference["status"] = "bogus";
        return conference;
    }

    /// <summary>An example response body taken from the spec file itself.</summary>
    private static JsonObject SpecExample(string name)
    {
        using var stream = File.OpenRead(Spec.SpecPath);
        var root = JsonNode.Parse(stream)!;
        var example = root["paths"]![ConferenceTemplate]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["examples"]![name]!["value"]!;
        return example.DeepClone().AsObject();
    }
}
