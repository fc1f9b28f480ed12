namespace Quorum.Tests.ApiServer;

/// <summary>Knobs of <see cref="KubeApiStandIn"/>. Defaults are the real server's unless noted; tests shorten the timers.</summary>
public sealed class KubeApiStandInOptions
{
    /// <summary>Events kept per resource for watch resumption (the watch cache's capacity). Brief default: 1000.</summary>
    public int WatchHistorySize { get; set; } = 1000;

    /// <summary>How often open watches that asked for bookmarks get one (about a minute in kube-apiserver).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// --min-request-timeout: a watch without timeoutSeconds ends after a random time in [this, 2×this),
    /// as the real server spreads reconnects.
    /// </summary>
    public TimeSpan MinRequestTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a list or watch at a resourceVersion newer than the store waits before 504 (3 s in the cacher).</summary>
    public TimeSpan TooLargeResourceVersionWait { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Stand-in for the kubelet: a gracefully deleted pod (bound to a node, grace period &gt; 0) is
    /// marked with deletionTimestamp and really removed after this delay, as the kubelet would once
    /// its containers stop. Null leaves such pods terminating forever (no kubelet at all).
    /// </summary>
    public TimeSpan? PodTerminationDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Register the repository's CRDs (manifests/crds) at start, as installing them would.</summary>
    public bool InstallRepositoryCrds { get; set; } = true;

    /// <summary>Create what a fresh cluster has: default/kube-system/kube-public/kube-node-lease namespaces and the system priority classes.</summary>
    public bool Bootstrap { get; set; } = true;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Bearer tokens TokenReview accepts, and whom each stands for; any other token is not authenticated.</summary>
    public Dictionary<string, ReviewUser> Tokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Decides SubjectAccessReviews (resource attributes); null denies everything, as RBAC with no binding.</summary>
    public Func<SubjectAccess, bool>? Authorize { get; set; }
}
