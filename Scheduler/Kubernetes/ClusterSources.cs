using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Quorum.Kubernetes;

/// <summary>
/// The watches the scheduler runs: Nodes, Pods of every namespace (pods of other schedulers take
/// capacity too), PriorityClasses, PodGroups, Topologies, and the claims, volumes and storage classes
/// volume binding reads, all into one channel so the scheduling
/// loop applies them in order on one thread.
/// </summary>
public sealed class ClusterSources
{
    public const string NodeKind = "Node";
    public const string PodKind = "Pod";
    public const string PriorityClassKind = "PriorityClass";
    public const string PodGroupKind = "PodGroup";
    public const string TopologyKind = "Topology";
    public const string ClaimKind = "PersistentVolumeClaim";
    public const string VolumeKind = "PersistentVolume";
    public const string StorageClassKind = "StorageClass";
    public const string CsiNodeKind = "CSINode";

    /// <summary>Server-side watch timeout; the watcher resumes from its resourceVersion when it ends.</summary>
    private const int WatchTimeoutSeconds = 300;

    private readonly Channel<ClusterEvent> _events = Channel.CreateBounded<ClusterEvent>(new BoundedChannelOptions(100_000) { SingleReader = true });

    public ClusterSources(IKubernetes client, ILoggerFactory logs)
    {
        var w = _events.Writer;
        Watchers =
        [
            new ResourceWatcher<V1Node, V1NodeList>(NodeKind, (rv, watch, ct) =>
                client.CoreV1.ListNodeWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), w, logs.CreateLogger("Quorum.Watch.Node")),
            new ResourceWatcher<V1Pod, V1PodList>(PodKind, (rv, watch, ct) =>
                client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), w, logs.CreateLogger("Quorum.Watch.Pod")),
            new ResourceWatcher<V1PriorityClass, V1PriorityClassList>(PriorityClassKind, (rv, watch, ct) =>
                client.SchedulingV1.ListPriorityClassWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), w, logs.CreateLogger("Quorum.Watch.PriorityClass")),
            new ResourceWatcher<PodGroupResource, PodGroupList>(PodGroupKind, (rv, watch, ct) =>
                Typed<PodGroupList>(client.CustomObjects.ListCustomObjectForAllNamespacesWithHttpMessagesAsync(PodGroupResource.ApiGroup,
                    PodGroupResource.Version, "podgroups", allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), watch), w, logs.CreateLogger("Quorum.Watch.PodGroup")),
            new ResourceWatcher<TopologyResource, TopologyList>(TopologyKind, (rv, watch, ct) =>
                Typed<TopologyList>(client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(PodGroupResource.ApiGroup,
                    PodGroupResource.Version, "topologies", allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), watch), w, logs.CreateLogger("Quorum.Watch.Topology")),
            // Volume binding: claims, volumes and classes (kube-scheduler's VolumeBinding informers).
            new ResourceWatcher<V1PersistentVolumeClaim, V1PersistentVolumeClaimList>(ClaimKind, (rv, watch, ct) =>
                client.CoreV1.ListPersistentVolumeClaimForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), w, logs.CreateLogger("Quorum.Watch.PersistentVolumeClaim")),
            new ResourceWatcher<V1PersistentVolume, V1PersistentVolumeList>(VolumeKind, (rv, watch, ct) =>
                client.CoreV1.ListPersistentVolumeWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), w, logs.CreateLogger("Quorum.Watch.PersistentVolume")),
            new ResourceWatcher<V1StorageClass, V1StorageClassList>(StorageClassKind, (rv, watch, ct) =>
                client.StorageV1.ListStorageClassWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), w, logs.CreateLogger("Quorum.Watch.StorageClass")),
            new ResourceWatcher<V1CSINode, V1CSINodeList>(CsiNodeKind, (rv, watch, ct) =>
                client.StorageV1.ListCSINodeWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, cancellationToken: ct), w, logs.CreateLogger("Quorum.Watch.CSINode")),
        ];
    }

    public ChannelReader<ClusterEvent> Events => _events.Reader;

    public IReadOnlyList<IResourceWatcher> Watchers { get; }

    public IReadOnlyList<string> Kinds { get; } = [NodeKind, PodKind, PriorityClassKind, PodGroupKind, TopologyKind, ClaimKind, VolumeKind, StorageClassKind, CsiNodeKind];

    /// <summary>Runs every watch until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(Watchers.Select(w => w.RunAsync(cancellationToken)));

    /// <summary>
    /// Custom objects come back untyped; a list is re-read as its typed list, and a watch response is
    /// passed through (the watch reads the response stream, not the body).
    /// </summary>
    private static async Task<HttpOperationResponse<TList>> Typed<TList>(Task<HttpOperationResponse<object>> call, bool watch)
    {
        var r = await call.ConfigureAwait(false);
        var typed = new HttpOperationResponse<TList> { Request = r.Request, Response = r.Response };
        if (!watch) typed.Body = KubernetesJson.Deserialize<TList>(KubernetesJson.Serialize(r.Body));
        return typed;
    }
}
