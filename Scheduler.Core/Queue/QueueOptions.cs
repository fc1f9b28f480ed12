namespace Quorum.Core.Queue;

/// <summary>Timing of the scheduling queue; names and defaults follow kube-scheduler's.</summary>
public sealed class QueueOptions
{
    /// <summary>podInitialBackoffSeconds: backoff after the first failed attempt.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>podMaxBackoffSeconds: backoff doubles per attempt up to this.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>podMaxInUnschedulablePodsDuration: a parked group is retried after this even if no event could help it.</summary>
    public TimeSpan MaxInUnschedulable { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// starvationThreshold: while no gang holds a reservation, the best-ranked parked gang that has
    /// waited this long (and was last refused as Unschedulable) is tried in every cycle, so that it can
    /// make one. Null: never.
    /// </summary>
    public TimeSpan? StarvationThreshold { get; set; }
}
