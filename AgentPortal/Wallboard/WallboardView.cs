namespace WarmTransfer.AgentPortal.Wallboard;

/// <summary>Everything the wallboard shows, as of <paramref name="At"/>.</summary>
/// <param name="Today">Since midnight UTC.</param>
/// <param name="LastQuarterHour">The last 15 minutes.</param>
/// <param name="CallbacksPending">Callbacks asked for today and neither answered nor given up yet.</param>
/// <param name="LastHour">Each of the last 60 minutes, oldest first.</param>
public sealed record WallboardView(
    DateTimeOffset At,
    int CallersWaiting,
    double LongestWaitSeconds,
    PeriodFigures Today,
    PeriodFigures LastQuarterHour,
    int CallbacksPending,
    IReadOnlyList<WallboardAgent> Agents,
    IReadOnlyList<MinuteFigures> LastHour);

/// <summary>A period's figures; the rates are null when nothing they divide by happened.</summary>
/// <param name="Offered">Calls that reached the line.</param>
/// <param name="AnsweredInTime">Answered within Metrics:ServiceLevelSeconds.</param>
/// <param name="Abandoned">Hung up before an answer, after the short-abandon window.</param>
/// <param name="ServiceLevel">AnsweredInTime ÷ (Answered + Abandoned), from 0 to 1.</param>
/// <param name="AverageSpeedOfAnswer">Seconds.</param>
/// <param name="AbandonRate">Abandoned ÷ Offered.</param>
/// <param name="AverageHandleTime">Seconds: talk + hold + wrap-up of each agent's part in a call.</param>
/// <param name="TransferRate">Transfers completed ÷ Answered.</param>
public sealed record PeriodFigures(
    int Offered,
    int Answered,
    int AnsweredInTime,
    int Abandoned,
    int ShortAbandoned,
    double? ServiceLevel,
    double? AverageSpeedOfAnswer,
    double? AbandonRate,
    double? AverageHandleTime,
    double? TransferRate);

/// <param name="Activity">offline, away, available, ringing, in-call or wrap-up.</param>
/// <param name="Since">When they started the activity.</param>
public sealed record WallboardAgent(string Id, string DisplayName, string Activity, string? Reason, DateTimeOffset? Since, WallboardCall? Call);

/// <param name="Customer">The customer's number with all but its last 4 digits hidden.</param>
/// <param name="ConnectedAt">When the customer was answered (null while they are rung for).</param>
/// <param name="Transfer">The transfer under way: waiting, ringing or consulting; null with none.</param>
public sealed record WallboardCall(string Customer, DateTimeOffset? ConnectedAt, string? Transfer);

/// <param name="Waiting">Callers waiting at the end of the minute.</param>
/// <param name="Answered">Callers answered during the minute.</param>
public sealed record MinuteFigures(DateTimeOffset Minute, int Waiting, int Answered);
