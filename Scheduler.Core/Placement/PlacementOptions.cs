namespace Quorum.Core.Placement;

/// <summary>Knobs of admission and placement; defaults are what a 10,000-node GPU fleet wants.</summary>
public sealed class PlacementOptions
{
    /// <summary>
    /// Topology used for packing groups that name none. When it does not exist, such groups are packed
    /// on the flat node list.
    /// </summary>
    public string? DefaultTopology { get; set; } = "default";

    /// <summary>
    /// Domains of one level tried (after aggregate pruning) before a level is given up. Bounds the cost
    /// of a gang that fails on filters the aggregates cannot see (selectors, taints).
    /// </summary>
    public int MaxDomainAttempts { get; set; } = 64;

    /// <summary>
    /// How long the highest-ranked blocked gang waits before it reserves the domain it is closest to
    /// fitting, so a stream of small groups cannot overtake it forever.
    /// </summary>
    public TimeSpan StarvationThreshold { get; set; } = TimeSpan.FromSeconds(60);
}
