using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// The nodes of a simulated cluster, the topology they are labelled for, and per node kind the
/// capacity of the largest domain at each topology depth (what the workload generator and the
/// tightest-domain metric need to know which level can hold a group at all).
/// </summary>
public sealed class SimulatedCluster
{
    public const string Gb200Profile = "gb200-nvl72";
    public const string HgxProfile = "hgx-h100";
    public const string MixedProfile = "mixed";

    public static IReadOnlyList<string> ProfileNames { get; } = [Gb200Profile, HgxProfile, MixedProfile];

    private readonly Dictionary<NodeKind, long[]> _maxDomainGpu;

    private SimulatedCluster(string profile, IReadOnlyList<Node> nodes, IReadOnlyList<NodeKind> kinds, TopologySpec topology)
    {
        Profile = profile;
        Nodes = nodes;
        Kinds = kinds;
        Topology = topology;
        TotalGpus = nodes.Sum(n => n.Allocatable.Gpu);
        _maxDomainGpu = kinds.ToDictionary(k => k, k => MaxDomainGpu(nodes, topology, k));
    }

    public string Profile { get; }
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>Node kinds present, each with at least one node.</summary>
    public IReadOnlyList<NodeKind> Kinds { get; }

    /// <summary>Registered in the cache as "default": every constraint in the workload refers to it.</summary>
    public TopologySpec Topology { get; }

    public long TotalGpus { get; }

    /// <summary>
    /// GPUs of the largest domain of nodes of <paramref name="kind"/> at <paramref name="depth"/>
    /// (0 = whole cluster, <see cref="TopologySpec.Levels"/>.Length = one node).
    /// </summary>
    public long MaxDomainGpu(NodeKind kind, int depth) => _maxDomainGpu[kind][depth];

    /// <summary>Depth of a level label in <see cref="Topology"/> (1-based), or -1 when the topology lacks it.</summary>
    public int DepthOf(string label)
    {
        var i = Topology.IndexOf(label);
        return i < 0 ? -1 : i + 1;
    }

    public static SimulatedCluster Build(string profile, int nodes)
    {
        switch (profile)
        {
            case Gb200Profile:
                return Single(NodeKind.Gb200, nodes);
            case HgxProfile:
                return Single(NodeKind.H100, nodes);
            case MixedProfile:
            {
                // Half of each, by node index. One topology for both, so it keeps only the levels
                // both kinds have (block → NVLink domain → host): GB200 trays have no rack label,
                // and on HGX the NVLink domain is the node itself. Block and clique values carry the
                // kind's prefix so the two halves never share a domain.
                var gb = nodes / 2;
                var topology = new TopologySpec("default", [TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel, TopologySpec.HostnameLabel]);
                var list = new List<Node>(nodes);
                for (var i = 0; i < gb; i++) list.Add(Labelled(NodeKind.Gb200, i, "gb200"));
                for (var i = 0; i < nodes - gb; i++) list.Add(Labelled(NodeKind.H100, i, "hgx"));
                return new SimulatedCluster(profile, list, [NodeKind.Gb200, NodeKind.H100], topology);
            }
            default:
                throw new ArgumentException($"unknown profile \"{profile}\"", nameof(profile));
        }
    }

    private static SimulatedCluster Single(NodeKind kind, int nodes)
    {
        var list = new List<Node>(nodes);
        for (var i = 0; i < nodes; i++) list.Add(Labelled(kind, i, "node"));
        return new SimulatedCluster(kind.Profile.Name, list, [kind], kind.Profile.Topology);
    }

    /// <summary>The profile's node, plus the GPU product label; block and clique values prefixed when mixing.</summary>
    private static Node Labelled(NodeKind kind, int i, string prefix)
    {
        var n = kind.Profile.NodeAt(i, prefix);
        var labels = new Dictionary<string, string>(n.Labels, StringComparer.Ordinal) { [NodeKind.ProductLabel] = kind.Product };
        if (prefix != "node")
        {
            labels[TopologySpec.BlockLabel] = $"{prefix}-{labels[TopologySpec.BlockLabel]}";
            labels[TopologySpec.NvLinkCliqueLabel] = $"{prefix}-{labels[TopologySpec.NvLinkCliqueLabel]}";
        }
        return new Node(n.Name, n.Allocatable, labels);
    }

    private static long[] MaxDomainGpu(IReadOnlyList<Node> nodes, TopologySpec topology, NodeKind kind)
    {
        var depths = topology.Levels.Length;
        var result = new long[depths + 1];
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var depth = 0; depth <= depths; depth++)
        {
            sums.Clear();
            foreach (var n in nodes)
            {
                if (n.Labels[NodeKind.ProductLabel] != kind.Product) continue;
                var key = string.Join('\u0001', topology.Levels.Take(depth).Select(l => n.Labels.TryGetValue(l, out var v) ? v : ""));
                sums[key] = sums.GetValueOrDefault(key) + n.Allocatable.Gpu;
            }
            result[depth] = sums.Count == 0 ? 0 : sums.Values.Max();
        }
        return result;
    }
}
