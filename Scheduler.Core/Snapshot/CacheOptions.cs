namespace Quorum.Core.Snapshot;

public sealed class CacheOptions
{
    /// <summary>
    /// How long an assumed pod counts against its node once its bind was accepted, if no watch event
    /// confirms it (kube-scheduler: 15 minutes). As in kube-scheduler it counts from the end of the
    /// bind (<see cref="ClusterCache.FinishBinding"/>), not from the assume: a pod waiting in a long
    /// bind queue keeps its node. Assumptions made without a bind to follow count from the assume.
    /// </summary>
    public TimeSpan AssumedPodTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many node deletions are remembered for incremental snapshot updates.</summary>
    public int DeletionLogLength { get; set; } = 4096;
}
