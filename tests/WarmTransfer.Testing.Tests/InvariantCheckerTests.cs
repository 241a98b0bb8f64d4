using Xunit.Abstractions;

namespace WarmTransfer.Testing.Tests;

/// <summary>The chaos soak's invariant checker, fed hand-built recordings.</summary>
public sealed class InvariantCheckerTests(ITestOutputHelper output)
{
    private const string Customer1 = "CA00000000000000000000000000000c01";
    private static readonly string[] Ids = ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"];

    [Fact]
    public void A_clean_run_breaks_no_invariant()
    {
        var verdict = InvariantChecker.Check(CleanRun().Build(lineClosed: 22, ended: 25));

        Assert.Equal(Ids, verdict.Invariants.Select(i => i.Id));
        Assert.All(verdict.Invariants, invariant => Assert.Equal(0, invariant.Count));
        Assert.Equal(0, verdict.Violations);
        Assert.Equal("chaos: 0 violations (seed 42)", verdict.Summary);
    }

    [Fact]
    public void A_run_that_breaks_each_invariant_once_is_reported_once_for_each()
    {
        var verdict = InvariantChecker.Check(EachBrokenOnce().Build(lineClosed: 110, ended: 120, seed: 7));

        Assert.Equal(Ids, verdict.Invariants.Select(i => i.Id));
        Assert.All(verdict.Invariants, invariant => Assert.True(invariant.Count == 1,
            $"{invariant.Id}: {invariant.Count} violations: {string.Join("; ", invariant.Examples.Select(e => e.What))}"));
        Assert.Equal("chaos: 8 violations (seed 7)", verdict.Summary);
    }

    [Fact]
    public void Each_violation_names_its_call_or_agent_and_comes_with_a_timeline()
    {
        var verdict = InvariantChecker.Check(EachBrokenOnce().Build(lineClosed: 110, ended: 120));
        var examples = verdict.Invariants.ToDictionary(i => i.Id, i => Assert.Single(i.Examples));
        foreach (var example in examples.Values)
        {
            output.WriteLine($"{example.Invariant} {example.CallSid ?? example.AgentId}: {example.What}");
            example.Timeline.ToList().ForEach(line => output.WriteLine($"    {line}"));
        }

        Assert.Equal(Sid(2), examples["I1"].CallSid);
        Assert.Equal(Sid(3), examples["I2"].CallSid);
        Assert.Equal("a3", examples["I3"].AgentId);
        Assert.Equal(("a1", Sid(4)), (examples["I4"].AgentId, examples["I4"].CallSid));
        Assert.Equal(Sid(5), examples["I5"].CallSid);
        Assert.Equal("a4", examples["I6"].AgentId);
        Assert.Equal(RecordingBuilder.At(86), examples["I7"].At);
        Assert.Equal(Sid(7), examples["I8"].CallSid);
        Assert.All(examples.Values.Where(e => e.Invariant != "I7"), example => Assert.NotEmpty(example.Timeline));
        Assert.Contains(examples["I1"].Timeline, line => line.Contains("ended: completed", StringComparison.Ordinal));
        Assert.Contains(examples["I6"].Timeline, line => line.Contains("a4 page-gone", StringComparison.Ordinal));
    }

    [Fact]
    public void A_customer_who_hangs_up_or_whose_agent_presses_End_call_is_not_cut_off()
    {
        var run = CleanRun()
            .CustomerCalls(Sid(2), 21, 23).InConference(Sid(2), Sid(2), "customer", 21.5, 23, "wait-music").CustomerHangsUp(Sid(2), 22.9)
            .Build(lineClosed: 24, ended: 25);

        Assert.Equal(0, InvariantChecker.Check(run).Violations);
    }

    [Fact]
    public void A_call_creation_that_failed_after_Twilio_acted_still_rang_the_agent()
    {
        var run = CleanRun().Creation(2.5, "client:a1", Customer1, "r1", status: 500, fault: "acted-then-error").Build(lineClosed: 22, ended: 25);

        var rungTwice = InvariantChecker.Check(run).Invariants.Single(i => i.Id == "I4");

        Assert.Equal(1, rungTwice.Count);
    }

    [Fact]
    public void A_creation_refused_without_acting_rings_nobody()
    {
        var run = CleanRun().Creation(2.5, "client:a1", Customer1, "r1", status: 429).Build(lineClosed: 22, ended: 25);

        Assert.Equal(0, InvariantChecker.Check(run).Violations);
    }

    /// <summary>Agents a1 and a2; one customer, answered by a1, who presses End call.</summary>
    private static RecordingBuilder CleanRun() =>
        new RecordingBuilder()
            .AgentOpens("a1", 0).AgentOpens("a2", 0)
            .CustomerCalls(Customer1, 1, 20)
            .InConference(Customer1, Customer1, "customer", 1.5, 3, "wait-music")
            .Offer("a1", Customer1, Leg(1), "r1", 2, 20).View("a1", 2.1, AgentStatuses.Ringing, Customer1)
            .InConference(Customer1, Customer1, "customer", 3, 20).InConference(Customer1, Leg(1), "a1", 3, 20)
            .View("a1", 3, AgentStatuses.InCall, Customer1)
            .EndCall("a1", Customer1, 19.9).CallEnds(Leg(1), 20).View("a1", 20.2, AgentStatuses.Available);

    /// <summary>The clean run, then one customer or agent after another breaking one invariant each.</summary>
    private static RecordingBuilder EachBrokenOnce() =>
        CleanRun()
            .AgentOpens("a3", 0).AgentOpens("a4", 0)
            // I1: a2 has the customer; the call ends with nobody hanging up or pressing End call.
            .CustomerCalls(Sid(2), 21, 30).InConference(Sid(2), Sid(2), "customer", 21.5, 22.5, "wait-music")
            .Offer("a2", Sid(2), Leg(2), "r2", 22, 30).View("a2", 22.1, AgentStatuses.Ringing, Sid(2))
            .InConference(Sid(2), Sid(2), "customer", 22.5, 30).InConference(Sid(2), Leg(2), "a2", 22.5, 30)
            .View("a2", 22.5, AgentStatuses.InCall, Sid(2)).CallEnds(Sid(2), 30).CallEnds(Leg(2), 30).View("a2", 30.2, AgentStatuses.Available)
            // I2: a1 leaves and the customer is alone in silence for 3.5 s, then hangs up.
            .CustomerCalls(Sid(3), 31, 38.6).InConference(Sid(3), Sid(3), "customer", 31.5, 32, "wait-music")
            .Offer("a1", Sid(3), Leg(3), "r3", 31.8, 35).View("a1", 31.9, AgentStatuses.Ringing, Sid(3))
            .InConference(Sid(3), Sid(3), "customer", 32, 35).InConference(Sid(3), Leg(3), "a1", 32, 35).View("a1", 32, AgentStatuses.InCall, Sid(3))
            .CallEnds(Leg(3), 35).View("a1", 35.2, AgentStatuses.Available)
            .InConference(Sid(3), Sid(3), "customer", 35, 38.5, "silence").CustomerHangsUp(Sid(3), 38.5)
            // I3: a3's page shows ringing for 35 s with no call to a3.
            .View("a3", 40, AgentStatuses.Ringing, "CA00000000000000000000000000000x03").View("a3", 75, AgentStatuses.Available)
            // I4: one dial request creates a1's call twice (the second failed after Twilio acted).
            .CustomerCalls(Sid(4), 41, 50).InConference(Sid(4), Sid(4), "customer", 41.5, 42.5, "wait-music")
            .Offer("a1", Sid(4), Leg(4), "r4", 42, 50).Creation(42.3, "client:a1", Sid(4), "r4", status: 500, fault: "acted-then-error")
            .View("a1", 42.1, AgentStatuses.Ringing, Sid(4))
            .InConference(Sid(4), Sid(4), "customer", 42.5, 50).InConference(Sid(4), Leg(4), "a1", 42.5, 50).View("a1", 42.5, AgentStatuses.InCall, Sid(4))
            .EndCall("a1", Sid(4), 49.9).CallEnds(Leg(4), 50).View("a1", 50.2, AgentStatuses.Available)
            // I5: the caller waits 7 s on music while a1 and a2 are available; a2 is rung only then.
            .CustomerCalls(Sid(5), 51, 65).InConference(Sid(5), Sid(5), "customer", 51.5, 59, "wait-music")
            .Offer("a2", Sid(5), Leg(5), "r5", 58.5, 65).View("a2", 58.6, AgentStatuses.Ringing, Sid(5))
            .InConference(Sid(5), Sid(5), "customer", 59, 65).InConference(Sid(5), Leg(5), "a2", 59, 65).View("a2", 59, AgentStatuses.InCall, Sid(5))
            .CustomerHangsUp(Sid(5), 64.9).CallEnds(Leg(5), 65).View("a2", 65.2, AgentStatuses.Available)
            // I6: a4 closed their page at 66; a caller is offered to a4 at 80.
            .AgentCloses("a4", 66)
            .CustomerCalls(Sid(6), 79, 85).InConference(Sid(6), Sid(6), "customer", 79.5, 85, "wait-music")
            .Offer("a4", Sid(6), Leg(6), "r6", 80, 85).CustomerHangsUp(Sid(6), 84.9)
            // I7: four call creations in one second, over the budget of 3.
            .Creation(86.1, "+15557770001").Creation(86.2, "+15557770002").Creation(86.3, "+15557770003").Creation(86.4, "+15557770004")
            // I8: everyone goes away; a last caller waits on music until the run ends.
            .View("a1", 99, AgentStatuses.Away).View("a2", 99, AgentStatuses.Away).View("a3", 99, AgentStatuses.Away)
            .CustomerCalls(Sid(7), 100, 200).InConference(Sid(7), Sid(7), "customer", 100.5, 200, "wait-music");

    private static string Sid(int customer) => $"CA00000000000000000000000000000c{customer:00}";

    private static string Leg(int customer) => $"CA00000000000000000000000000000a{customer:00}";
}
