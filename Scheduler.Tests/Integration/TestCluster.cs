using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Quorum.Kubernetes;

namespace Quorum.Tests.Integration;

/// <summary>
/// The cluster an integration test runs on: the in-process API stand-in, or a real cluster when
/// <c>QUORUM_TEST_KUBECONFIG</c> names a kubeconfig. Everything goes through the API with the same
/// objects in both, so the suite runs unchanged. On a shared real cluster a run keeps to itself: its
/// own namespace, nodes named after it (labelled, and tainted so that no real workload lands on them),
/// pods pinned to those nodes and tolerating their taints, its own scheduler name, default Topology
/// and Lease; and it removes all of it afterwards.
/// </summary>
public abstract class TestCluster : IAsyncDisposable
{
    public const string KubeconfigVariable = "QUORUM_TEST_KUBECONFIG";

    /// <summary>Label and taint key on everything a run creates.</summary>
    public const string RunLabel = "quorum.dev/test-run";

    public const string Gpu = "nvidia.com/gpu";

    protected TestCluster() => RunId = Guid.NewGuid().ToString("N")[..8];

    public string RunId { get; }

    public string Namespace => $"quorum-it-{RunId}";

    /// <summary>The run's own spec.schedulerName, so that a Quorum installed on the cluster leaves its pods alone.</summary>
    public string SchedulerName => $"quorum-it-{RunId}";

    /// <summary>The run's own default Topology name (absent unless a test creates it: then the node list is flat).</summary>
    public string TopologyName => $"quorum-it-{RunId}";

    public abstract IKubernetes Admin { get; }

    public abstract bool IsReal { get; }

    /// <summary>A client for a scheduler instance, through <paramref name="transport"/>.</summary>
    public abstract IKubernetes CreateClient(FaultyTransport transport);

    /// <summary>
    /// Makes every resourceVersion handed out so far too old to resume a watch from, so the scheduler's
    /// next resumption gets 410 Expired and must relist.
    /// </summary>
    public abstract void ExpireWatchHistory(FaultyTransport transport);

    public static async Task<TestCluster> StartAsync(bool real)
    {
        TestCluster cluster = real ? new RealCluster(Environment.GetEnvironmentVariable(KubeconfigVariable)!) : await StandInCluster.StartAsync().ConfigureAwait(false);
        await cluster.InitializeAsync().ConfigureAwait(false);
        return cluster;
    }

    protected virtual async Task InitializeAsync()
    {
        await Admin.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = Namespace, Labels = new Dictionary<string, string> { [RunLabel] = RunId } },
        }).ConfigureAwait(false);
    }

    public string NodeName(string shortName) => $"{Namespace}-{shortName}";

    private string ShortName(string node) => node.StartsWith(Namespace + "-", StringComparison.Ordinal) ? node[(Namespace.Length + 1)..] : node;

    public Task<V1Node> NodeAsync(string name, int gpus = 8, IDictionary<string, string>? labels = null)
    {
        var all = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()) { [RunLabel] = RunId, ["kubernetes.io/hostname"] = NodeName(name) };
        return Admin.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = NodeName(name), Labels = all },
            Spec = new V1NodeSpec { Taints = [new V1Taint { Key = RunLabel, Value = RunId, Effect = "NoSchedule" }] },
            Status = new V1NodeStatus
            {
                Capacity = Resources(gpus),
                Allocatable = Resources(gpus),
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady" }],
            },
        });
    }

    private static Dictionary<string, ResourceQuantity> Resources(int gpus) => new()
    {
        ["cpu"] = new("64"), ["memory"] = new("512Gi"), [Gpu] = new($"{gpus}"), ["pods"] = new("110"),
    };

    /// <summary>A pod of this run's scheduler (or <paramref name="scheduler"/>), pinned to the run's nodes.</summary>
    public Task<V1Pod> PodAsync(string name, int gpus = 8, string? group = null, string? subGroup = null, string? scheduler = null,
        string? node = null, IList<V1PodSchedulingGate>? gates = null, Action<V1Pod>? customize = null)
    {
        var labels = new Dictionary<string, string> { [RunLabel] = RunId };
        if (group is not null) labels[WellKnown.PodGroupLabel] = group;
        if (subGroup is not null) labels[WellKnown.SubGroupLabel] = subGroup;
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1PodSpec
            {
                SchedulerName = scheduler ?? SchedulerName,
                NodeName = node is null ? null : NodeName(node),
                NodeSelector = new Dictionary<string, string> { [RunLabel] = RunId },
                // Also tolerates what a node controller puts on kubelet-less nodes (not-ready, unreachable).
                Tolerations = [new V1Toleration { OperatorProperty = "Exists" }],
                SchedulingGates = gates,
                AutomountServiceAccountToken = false,
                Containers =
                [
                    new V1Container
                    {
                        Name = "main", Image = "registry.example/llm-worker:1.0",
                        Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { [Gpu] = new($"{gpus}") } },
                    },
                ],
            },
        };
        customize?.Invoke(pod);
        return Admin.CoreV1.CreateNamespacedPodAsync(pod, Namespace);
    }

    /// <summary>Labels for a cluster-scoped object of this run (removed with it).</summary>
    public Dictionary<string, string> RunLabels() => new() { [RunLabel] = RunId };

    public Task<PodGroupResource> PodGroupAsync(string name, PodGroupSpecResource spec) =>
        CreateCustomAsync(new PodGroupResource { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace }, Spec = spec }, "podgroups", Namespace);

    /// <summary>The run's default Topology, levels outermost first.</summary>
    public Task<TopologyResource> TopologyAsync(params string[] levels) =>
        CreateCustomAsync(new TopologyResource
        {
            Metadata = new V1ObjectMeta { Name = TopologyName, Labels = new Dictionary<string, string> { [RunLabel] = RunId } },
            Spec = new TopologySpecResource { Levels = [.. levels.Select(l => new TopologyLevelResource { NodeLabel = l })] },
        }, "topologies", null);

    private async Task<T> CreateCustomAsync<T>(T obj, string plural, string? ns)
    {
        var created = ns is null
            ? await Admin.CustomObjects.CreateClusterCustomObjectAsync(obj, PodGroupResource.ApiGroup, PodGroupResource.Version, plural).ConfigureAwait(false)
            : await Admin.CustomObjects.CreateNamespacedCustomObjectAsync(obj, PodGroupResource.ApiGroup, PodGroupResource.Version, ns, plural).ConfigureAwait(false);
        return KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(created));
    }

    public Task<V1Pod> GetPodAsync(string name) => Admin.CoreV1.ReadNamespacedPodAsync(name, Namespace);

    /// <summary>The short name of the node the pod is bound to, or null.</summary>
    public async Task<string?> NodeOfAsync(string pod) => (await GetPodAsync(pod).ConfigureAwait(false)).Spec.NodeName is { } n ? ShortName(n) : null;

    public async Task<IReadOnlyDictionary<string, string?>> PlacementsAsync()
    {
        var pods = await Admin.CoreV1.ListNamespacedPodAsync(Namespace).ConfigureAwait(false);
        return pods.Items.ToDictionary(p => p.Metadata.Name, p => p.Spec.NodeName is { } n ? ShortName(n) : null);
    }

    public async Task<PodGroupResource> GetPodGroupAsync(string name)
    {
        var obj = await Admin.CustomObjects.GetNamespacedCustomObjectAsync(PodGroupResource.ApiGroup, PodGroupResource.Version, Namespace, "podgroups", name).ConfigureAwait(false);
        return KubernetesJson.Deserialize<PodGroupResource>(KubernetesJson.Serialize(obj));
    }

    /// <summary>events.k8s.io Events about one object of the run's namespace.</summary>
    public async Task<IReadOnlyList<Eventsv1Event>> EventsAboutAsync(string name, string? kind = null)
    {
        var list = await Admin.EventsV1.ListNamespacedEventAsync(Namespace).ConfigureAwait(false);
        return [.. list.Items.Where(e => e.Regarding?.Name == name && (kind is null || e.Regarding.Kind == kind))];
    }

    public Task DeletePodAsync(string name) =>
        Admin.CoreV1.DeleteNamespacedPodAsync(name, Namespace, new V1DeleteOptions { GracePeriodSeconds = 0 }, gracePeriodSeconds: 0);

    /// <summary>What the kubelet reports once the containers started.</summary>
    public Task MarkRunningAsync(string pod) => Admin.CoreV1.PatchNamespacedPodStatusAsync(
        new V1Patch("""{"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), pod, Namespace);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test with <paramref name="because"/> after <paramref name="timeout"/> (15 s).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting until {because}");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        // Pods first and at once (grace 0): pods bound to kubelet-less nodes would otherwise stay
        // Terminating, and so would the namespace.
        await Ignore404(() => Admin.CoreV1.DeleteCollectionNamespacedPodAsync(Namespace, gracePeriodSeconds: 0)).ConfigureAwait(false);
        await Ignore404(() => Admin.CoreV1.DeleteNamespaceAsync(Namespace)).ConfigureAwait(false);
        await Ignore404(() => Admin.CoreV1.DeleteCollectionNodeAsync(labelSelector: $"{RunLabel}={RunId}")).ConfigureAwait(false);
        await Ignore404(() => Admin.CoreV1.DeleteCollectionPersistentVolumeAsync(labelSelector: $"{RunLabel}={RunId}")).ConfigureAwait(false);
        await Ignore404(() => Admin.StorageV1.DeleteCollectionStorageClassAsync(labelSelector: $"{RunLabel}={RunId}")).ConfigureAwait(false);
        await Ignore404(() => Admin.CustomObjects.DeleteClusterCustomObjectAsync(PodGroupResource.ApiGroup, PodGroupResource.Version, "topologies", TopologyName)).ConfigureAwait(false);
        Admin.Dispose();
        GC.SuppressFinalize(this);
    }

    private static async Task Ignore404(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }
}
