using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Tests.Gangs;

/// <summary>A cache, snapshot and helpers for building gangs against a generated cluster.</summary>
internal sealed class GangTestCluster
{
    public GangTestCluster(ClusterProfile profile, int nodes)
    {
        Profile = profile;
        foreach (var n in profile.Nodes(nodes)) Cache.AddOrUpdateNode(n);
        Cache.SetTopology(profile.Topology);
        Refresh();
    }

    public ClusterProfile Profile { get; }
    public ClusterCache Cache { get; } = new();
    public ClusterSnapshot Snapshot { get; } = new();

    public static string NodeName(int i) => $"node-{i:D6}";

    /// <summary>Binds a running pod using <paramref name="gpus"/> on node <paramref name="i"/>.</summary>
    public GangTestCluster Occupy(int i, long gpus, string name = "")
    {
        Cache.AddOrUpdatePod(Pods.Gpu("running", name.Length > 0 ? name : $"busy-{i}-{Guid.NewGuid():N}", gpus, node: NodeName(i)));
        return this;
    }

    public GangTestCluster Refresh()
    {
        Cache.UpdateSnapshot(Snapshot);
        return this;
    }

    public TopologySpec? FindTopology(string name) => Cache.Topologies.TryGetValue(name, out var t) ? t : null;

    public GangRequest Request(PodGroupSpec spec, IEnumerable<Pod> pods)
    {
        var v = PodGroupValidator.Validate(spec, FindTopology, "default");
        Assert.That(v.Errors, Is.Empty, "group must be valid");
        return new GangRequest(v.Tree!, [.. pods]);
    }

    public string DomainOf(string node, int depth)
    {
        var tree = Snapshot.Tree("default")!;
        var leaf = tree.LeafOf(Snapshot.Find(node)!.Slot);
        return tree.PathOf(tree.AncestorAt(leaf, depth));
    }
}
