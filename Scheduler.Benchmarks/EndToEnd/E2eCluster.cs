using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Quorum.Core.Topology;
using Quorum.Kubernetes;

namespace Quorum.Benchmarks.EndToEnd;

/// <summary>
/// What one e2e run puts on the API server, and takes away again: the repository's CRDs, a Topology,
/// labelled fake GPU nodes, and per scheduler a namespace of pending pods (and PodGroups).
/// </summary>
internal sealed class E2eCluster(IKubernetes admin, E2eOptions options, string run)
{
    public const string RunLabel = "quorum-e2e-run";
    public const string Gpu = "nvidia.com/gpu";
    public const int GpusPerNode = 8;
    public const int NodesPerClique = 18;
    public const int NodesPerBlock = 288;

    public string TopologyName => $"e2e-{run}";

    public static string NodeName(string run, int i) => $"e2e-{run}-node-{i:D5}";

    public async Task SetUpAsync(CancellationToken ct)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "manifests", "crds"), "*.yaml").Order(StringComparer.Ordinal))
            await ApplyCrdAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file, ct).ConfigureAwait(false)), ct).ConfigureAwait(false);
        var topology = new TopologyResource
        {
            Metadata = new V1ObjectMeta { Name = TopologyName, Labels = new Dictionary<string, string> { [RunLabel] = run } },
            Spec = new TopologySpecResource
            {
                Levels = [new() { NodeLabel = TopologySpec.BlockLabel }, new() { NodeLabel = TopologySpec.NvLinkCliqueLabel }, new() { NodeLabel = "kubernetes.io/hostname" }],
            },
        };
        await admin.CustomObjects.CreateClusterCustomObjectAsync(topology, PodGroupResource.ApiGroup, PodGroupResource.Version, "topologies", cancellationToken: ct).ConfigureAwait(false);
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Nodes), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, token) =>
        {
            var name = NodeName(run, i);
            var resources = new Dictionary<string, ResourceQuantity>
            {
                ["cpu"] = new("64"), ["memory"] = new("512Gi"), [Gpu] = new($"{GpusPerNode}"), ["pods"] = new("110"),
            };
            await admin.CoreV1.CreateNodeAsync(new V1Node
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    Labels = new Dictionary<string, string>
                    {
                        [RunLabel] = run,
                        ["kubernetes.io/hostname"] = name,
                        [TopologySpec.NvLinkCliqueLabel] = $"clique-{i / NodesPerClique:D4}",
                        [TopologySpec.BlockLabel] = $"block-{i / NodesPerBlock:D3}",
                    },
                },
                Status = new V1NodeStatus
                {
                    Capacity = resources,
                    Allocatable = resources,
                    Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady" }],
                },
            }, cancellationToken: token).ConfigureAwait(false);
            // The TaintNodesByCondition admission plugin taints every new node not-ready; the node
            // lifecycle controller (absent on a bare API server) lifts it once the node reports Ready.
            await admin.CoreV1.PatchNodeAsync(new V1Patch("""{"spec":{"taints":null}}""", V1Patch.PatchType.MergePatch), name, cancellationToken: token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>A namespace of pending one-GPU pods for <paramref name="schedulerName"/>; with gangs, their PodGroups first.</summary>
    public async Task<IReadOnlyList<string>> CreateWorkloadAsync(string ns, string schedulerName, bool podGroups, CancellationToken ct)
    {
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { [RunLabel] = run } } },
            cancellationToken: ct).ConfigureAwait(false);
        // No controller manager makes the default ServiceAccount on a bare API server; pod admission needs it.
        await Conflict(() => admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, ns,
            cancellationToken: ct)).ConfigureAwait(false);
        var gangSize = options.GangSize;
        if (gangSize > 0 && podGroups)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Pods / gangSize), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (g, token) =>
                await admin.CustomObjects.CreateNamespacedCustomObjectAsync(new PodGroupResource
                {
                    Metadata = new V1ObjectMeta { Name = $"g{g:D5}", NamespaceProperty = ns },
                    Spec = new PodGroupSpecResource
                    {
                        MinMember = gangSize,
                        TopologyConstraint = new TopologyConstraintResource { RequiredTopologyLevel = TopologySpec.NvLinkCliqueLabel },
                    },
                }, PodGroupResource.ApiGroup, PodGroupResource.Version, ns, "podgroups", cancellationToken: token).ConfigureAwait(false)).ConfigureAwait(false);
        }
        var names = Enumerable.Range(0, options.Pods).Select(i => gangSize > 0 ? $"g{i / gangSize:D5}-{i % gangSize:D4}" : $"p{i:D6}").ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (name, token) =>
        {
            var labels = new Dictionary<string, string> { [RunLabel] = run };
            if (gangSize > 0) labels[WellKnown.PodGroupLabel] = name[..name.IndexOf('-', StringComparison.Ordinal)];
            await admin.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = labels },
                Spec = new V1PodSpec
                {
                    SchedulerName = schedulerName,
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "c",
                            Image = "registry.k8s.io/pause:3.9",
                            Resources = new V1ResourceRequirements
                            {
                                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), [Gpu] = new("1") },
                                Limits = new Dictionary<string, ResourceQuantity> { [Gpu] = new("1") },
                            },
                        },
                    ],
                },
            }, ns, cancellationToken: token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return names;
    }

    /// <summary>Removes a namespace's pods at once (no kubelet confirms a graceful delete), its PodGroups and the namespace.</summary>
    public async Task DeleteWorkloadAsync(string ns)
    {
        await Ignore(() => admin.CoreV1.DeleteCollectionNamespacedPodAsync(ns, gracePeriodSeconds: 0)).ConfigureAwait(false);
        await Ignore(() => admin.CustomObjects.DeleteCollectionNamespacedCustomObjectAsync(PodGroupResource.ApiGroup, PodGroupResource.Version, ns, "podgroups")).ConfigureAwait(false);
        await Ignore(() => admin.CoreV1.DeleteNamespaceAsync(ns)).ConfigureAwait(false);
    }

    public async Task CleanUpAsync()
    {
        await Ignore(() => admin.CoreV1.DeleteCollectionNodeAsync(labelSelector: $"{RunLabel}={run}")).ConfigureAwait(false);
        await Ignore(() => admin.CustomObjects.DeleteClusterCustomObjectAsync(PodGroupResource.ApiGroup, PodGroupResource.Version, "topologies", TopologyName)).ConfigureAwait(false);
    }

    private async Task ApplyCrdAsync(V1CustomResourceDefinition crd, CancellationToken ct)
    {
        try
        {
            await admin.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await admin.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name, cancellationToken: ct).ConfigureAwait(false);
            crd.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await admin.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name, cancellationToken: ct).ConfigureAwait(false);
        }
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var current = await admin.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name, cancellationToken: ct).ConfigureAwait(false);
            if (current.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true) return;
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"CRD {crd.Metadata.Name} was not established within 30 s");
    }

    /// <summary>The repository root (manifests/crds is read from it): the nearest directory above this binary with Scheduler.sln.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Scheduler.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Scheduler.sln"))) return dir.FullName;
        throw new InvalidOperationException("run e2e from the repository (manifests/crds holds the CRDs it installs)");
    }

    private static async Task Conflict(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    private static async Task Ignore(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }
}
