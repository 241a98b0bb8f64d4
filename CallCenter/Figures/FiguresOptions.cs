using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.CallCenter.Figures;

/// <summary>How the contact center's figures are counted (configuration section <c>Metrics</c>).</summary>
public sealed class FiguresOptions
{
    public const string Section = "Metrics";

    /// <summary>A caller who hangs up sooner than this is a short abandon: counted apart, and not against the service level.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShortAbandon { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A call answered within this many seconds of arriving is within the service level.</summary>
    [Range(1, 3600)]
    public int ServiceLevelSeconds { get; set; } = 20;
}
