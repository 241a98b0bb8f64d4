namespace WarmTransfer.CallCenter.Messaging;

/// <summary>The call-control commands: everything the system changes in a call after it is created.</summary>
public enum CallAction
{
    /// <summary>Cancel an agent leg that has not been answered.</summary>
    CancelLeg,

    /// <summary>Hang up an agent leg that answered.</summary>
    CompleteLeg,

    /// <summary>Hold music for the customer.</summary>
    HoldCustomer,

    /// <summary>Take the customer off hold.</summary>
    ResumeCustomer,

    /// <summary>End the customer's conference for everyone (End call).</summary>
    EndConference,

    /// <summary>Take the waiting customer's call out of its conference to the callback offer (it comes back unless they press 1).</summary>
    OfferCallback,

    /// <summary>
    /// Ask Twilio where an agent leg's call is and tell its session: the agent's page said it declined the call, whose status
    /// callback may never come.
    /// </summary>
    CheckLeg,
}

/// <summary>
/// A change to a live call that a session decided on. Only the worker carries it out (through <c>ICallControl</c>), from a
/// queue of its own that is never paced behind call creations.
/// </summary>
/// <param name="CallSid">The agent leg or callback call (cancel, complete); for End call, the customer's call.</param>
/// <param name="ConferenceSid">The customer's conference when known; otherwise it is found by its name, the session id.</param>
public sealed record CallCommand(string RequestId, CallAction Action, string SessionId, string? LegId, string? CallSid, string? ConferenceSid);
