namespace Quorum.Core.Snapshot;

public sealed class CacheOptions
{
    /// <summary>
    /// How long an assumed pod counts against its node if the bind is never confirmed by a watch
    /// event (kube-scheduler uses 15 minutes only after the bind finished; Quorum counts from assume,
    /// so a lost bind frees the capacity sooner).
    /// </summary>
    public TimeSpan AssumedPodTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many node deletions are remembered for incremental snapshot updates.</summary>
    public int DeletionLogLength { get; set; } = 4096;
}
