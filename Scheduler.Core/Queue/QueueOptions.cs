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
}
