namespace WarmTransfer.CallCenter.Messaging;

public enum CallAction
{
    /// <summary>Cancel an agent leg that is still ringing.</summary>
    CancelCall,

    /// <summary>Put the customer on hold (hold music), because no agent is talking to them.</summary>
    HoldCustomer,

    /// <summary>Take the customer off hold.</summary>
    ResumeCustomer,
}

/// <summary>
/// A Twilio REST change a webhook decided on. Webhooks never call Twilio themselves: the dialer worker carries it out.
/// </summary>
/// <param name="CallSid">The leg to cancel (<see cref="CallAction.CancelCall"/>).</param>
/// <param name="ConferenceSid">The customer's conference (hold and resume).</param>
public sealed record CallCommand(string RequestId, CallAction Action, string ConferenceName, string? CallSid, string? ConferenceSid);
