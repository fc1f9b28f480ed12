using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;
using Quorum.Kubernetes;
using Quorum.Scheduling;

namespace Quorum.Cli;

/// <summary>
/// A cluster built from manifests instead of a watch: the same <see cref="ClusterState"/> the
/// scheduler feeds from its watches, fed once. Bound pods are treated as running. Unlike the live
/// scheduler, which reports a bad object and goes on, offline input must be valid as a whole.
/// </summary>
public sealed class OfflineCluster
{
    private OfflineCluster(ClusterState state, ClusterSnapshot snapshot)
    {
        State = state;
        Snapshot = snapshot;
    }

    public ClusterState State { get; }
    public ClusterSnapshot Snapshot { get; }
    public IReadOnlyCollection<Pod> Pods => State.Pods;

    /// <summary>Maps every object; all problems are collected and thrown together, each naming object and field.</summary>
    public static OfflineCluster Build(ManifestSet set, TimeProvider? time = null)
    {
        var state = new ClusterState(new ClusterCache(time));
        var errors = new List<string>();
        void Unique(string kind, IEnumerable<(string? Namespace, string? Name)> names)
        {
            foreach (var dup in names.GroupBy(n => n).Where(g => g.Count() > 1))
                errors.Add($"{kind} {(dup.Key.Namespace is null ? "" : dup.Key.Namespace + "/")}{dup.Key.Name}: metadata.name: duplicate {kind}");
        }
        Unique("Node", set.Nodes.Select(n => ((string?)null, n.Metadata?.Name)));
        Unique("Pod", set.Pods.Select(p => ((string?)(p.Metadata?.NamespaceProperty ?? "default"), p.Metadata?.Name)));
        Unique("PodGroup", set.PodGroups.Select(g => ((string?)(g.Metadata?.NamespaceProperty ?? "default"), g.Metadata?.Name)));

        foreach (var pc in set.PriorityClasses) state.ApplyPriorityClass(pc, deleted: false);
        foreach (var n in set.Nodes) state.ApplyNode(n, deleted: false);
        foreach (var t in set.Topologies) state.ApplyTopology(t, deleted: false);
        if (set.Topologies.Count == 0) state.Cache.SetTopology(TopologySpec.Default);
        foreach (var g in set.PodGroups) state.ApplyPodGroup(g, deleted: false);
        foreach (var sc in set.StorageClasses) state.ApplyStorageClass(sc, deleted: false);
        foreach (var v in set.Volumes) state.ApplyVolume(v, deleted: false);
        foreach (var c in set.Claims) state.ApplyClaim(c, deleted: false);
        foreach (var csi in set.CsiNodes) state.ApplyCsiNode(csi, deleted: false);
        foreach (var p in set.Pods) state.ApplyPod(p, deleted: false);
        errors.AddRange(state.Refused.Select(r => r.Message));
        if (errors.Count > 0) throw new InvalidObjectException(string.Join(Environment.NewLine, errors));

        var snapshot = new ClusterSnapshot();
        state.Cache.UpdateSnapshot(snapshot);
        return new OfflineCluster(state, snapshot);
    }

    public AssembledGangs Assemble(string schedulerName, string? defaultTopology) =>
        State.Assemble([schedulerName], defaultTopology ?? "");
}
