using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// A kind of GPU cluster to generate: node shape and how nodes group into NVLink domains, racks and
/// blocks. Shared by tests, the simulator and the benchmarks so all three speak of the same clusters.
/// </summary>
public sealed record ClusterProfile(
    string Name,
    int GpusPerNode,
    long MilliCpuPerNode,
    long MemoryPerNode,
    int NodesPerNvLinkDomain,
    int NvLinkDomainsPerBlock,
    int MaxPodsPerNode = 110)
{
    /// <summary>GB200 NVL72: 18 compute trays of 4 GPUs share one NVLink domain (a rack).</summary>
    public static ClusterProfile Gb200Nvl72 { get; } = new("gb200-nvl72", 4, 144_000, 960L << 30, 18, 16);

    /// <summary>HGX H100: 8 GPUs per node, NVLink inside the node; racks of 4 nodes, blocks of racks.</summary>
    public static ClusterProfile HgxH100 { get; } = new("hgx-h100", 8, 192_000, 2048L << 30, 1, 32) { NodesPerRack = 4 };

    /// <summary>Nodes per rack when a rack is not the NVLink domain (HGX): racks group NVLink domains.</summary>
    public int NodesPerRack { get; init; }

    public static IReadOnlyList<ClusterProfile> All { get; } = [Gb200Nvl72, HgxH100];

    public static ClusterProfile? Find(string name) => All.FirstOrDefault(p => p.Name == name);

    public const string RackLabel = "topology.kubernetes.io/rack";

    /// <summary>The topology these nodes are labelled for: block → rack (HGX only) → NVLink domain → host.</summary>
    public TopologySpec Topology => NodesPerRack > 0
        ? new TopologySpec("default", [TopologySpec.BlockLabel, RackLabel, TopologySpec.NvLinkCliqueLabel, TopologySpec.HostnameLabel])
        : new TopologySpec("default", [TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel, TopologySpec.HostnameLabel]);

    public ResourceVector NodeAllocatable => new(MilliCpuPerNode, MemoryPerNode, GpusPerNode, MaxPodsPerNode);

    /// <summary>Node <paramref name="i"/> of the cluster, labelled as NVIDIA's tooling labels real nodes.</summary>
    public Node NodeAt(int i, string prefix = "node")
    {
        var name = $"{prefix}-{i:D6}";
        var domain = i / NodesPerNvLinkDomain;
        var block = domain / NvLinkDomainsPerBlock;
        var labels = new Dictionary<string, string>
        {
            [TopologySpec.HostnameLabel] = name,
            [TopologySpec.BlockLabel] = $"block-{block:D4}",
            // GFD writes "<cluster uuid>.<clique id>"; one clique per NVLink domain.
            [TopologySpec.NvLinkCliqueLabel] = NodesPerNvLinkDomain > 1 ? $"nvl-{domain:D5}.0" : $"{name}.0",
        };
        if (NodesPerRack > 0) labels[RackLabel] = $"rack-{i / NodesPerRack:D5}";
        return new Node(name, NodeAllocatable, labels);
    }

    public IEnumerable<Node> Nodes(int count, string prefix = "node") => Enumerable.Range(0, count).Select(i => NodeAt(i, prefix));

    public override string ToString() => Name;
}

/// <summary>Builders for pods, shared by tests, the simulator and the benchmarks.</summary>
public static class Pods
{
    public static Pod Gpu(string ns, string name, long gpus, long milliCpu = 1000, long memory = 4L << 30, string? group = null,
        string? subGroup = null, string? node = null, int priority = 0, DateTimeOffset created = default) =>
        new(new ObjectKey(ns, name), new ResourceVector(milliCpu, memory, gpus, 0))
        {
            Group = group is null ? null : new GroupMembership(group, subGroup),
            NodeName = node,
            Priority = priority,
            CreationTimestamp = created,
            SchedulerName = "quorum",
        };

    public static ImmutableArray<Pod> Replicas(string ns, string prefix, int count, long gpus, string group, string? subGroup,
        long milliCpu = 1000, DateTimeOffset created = default, int priority = 0) =>
        [.. Enumerable.Range(0, count).Select(i => Gpu(ns, $"{prefix}-{i}", gpus, milliCpu, group: group, subGroup: subGroup, created: created, priority: priority))];
}
