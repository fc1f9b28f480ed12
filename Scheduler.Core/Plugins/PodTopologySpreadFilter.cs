using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's PodTopologySpread filter for <c>whenUnsatisfiable: DoNotSchedule</c>: placing the
/// pod in the node's domain must not make that domain exceed the least-loaded one by more than
/// <c>maxSkew</c> matching pods. Only nodes that carry every constraint's key (and, by the policies,
/// match the pod's node affinity and tolerate its taints) count as domains; with fewer domains than
/// <c>minDomains</c> the least-loaded count is 0. Members of the same gang placed earlier count.
/// </summary>
public sealed class PodTopologySpreadFilter : INodeFilter
{
    public const string Reason = "node(s) didn't match pod topology spread constraints";

    public string Name => "PodTopologySpread";

    // Evicting matching pods from a crowded domain would lower its skew.
    public StatusCode FailureCode => StatusCode.Unschedulable;
    public bool NodeSpecOnly => false;

    public bool Passes(Pod pod, NodeInfo node)
    {
        if (pod.SpreadConstraints.IsDefaultOrEmpty) return true;
        var counts = SpreadCounts.For(pod, node.Snapshot);
        if (counts.Constraints.Length == 0) return true;
        for (var i = 0; i < counts.Constraints.Length; i++)
        {
            var c = counts.Constraints[i];
            // A node without the key fails in PodTopologySpreadLabels, which runs before.
            if (!node.Node.Labels.TryGetValue(c.TopologyKey, out var value)) return false;
            var self = c.Selector?.Matches(pod.Labels) == true ? 1 : 0;
            if (counts.MatchNum[i].GetValueOrDefault(value) + self - counts.MinMatch[i] > c.MaxSkew) return false;
        }
        return true;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) => reasons.Add(Reason);
}

/// <summary>
/// The node-label half of PodTopologySpread: a node without the topology key of one of the pod's
/// DoNotSchedule constraints can never take it (kube-scheduler: unschedulable and unresolvable).
/// </summary>
public sealed class PodTopologySpreadLabels : INodeFilter
{
    public const string Reason = "node(s) didn't match pod topology spread constraints (missing required label)";

    public string Name => "PodTopologySpread";
    public StatusCode FailureCode => StatusCode.Unresolvable;
    public bool NodeSpecOnly => true;

    public bool Passes(Pod pod, NodeInfo node)
    {
        if (pod.SpreadConstraints.IsDefaultOrEmpty) return true;
        foreach (var c in pod.SpreadConstraints)
            if (c.WhenUnsatisfiable == SpreadAction.DoNotSchedule && !node.Node.Labels.ContainsKey(c.TopologyKey)) return false;
        return true;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) => reasons.Add(Reason);
}

/// <summary>PreFilter state of PodTopologySpread for one pod on one snapshot, cached until a pod comes or goes.</summary>
internal sealed class SpreadCounts
{
    public required TopologySpreadConstraint[] Constraints { get; init; }
    public required Dictionary<string, int>[] MatchNum { get; init; }
    public required int[] MinMatch { get; init; }

    /// <summary>For ScheduleAnyway: the lowest score among nodes with room, once asked.</summary>
    public long? BestScore { get; set; }

    private static readonly object Key = new();

    public static SpreadCounts For(Pod pod, ClusterSnapshot snapshot, SpreadAction action = SpreadAction.DoNotSchedule) =>
        action == SpreadAction.DoNotSchedule
            ? snapshot.PerPod(Key, pod, static (p, s) => Build(p, s, SpreadAction.DoNotSchedule))
            : snapshot.PerPod(ScoreKey, pod, static (p, s) => Build(p, s, SpreadAction.ScheduleAnyway));

    private static readonly object ScoreKey = new();

    private static SpreadCounts Build(Pod pod, ClusterSnapshot snapshot, SpreadAction action)
    {
        TopologySpreadConstraint[] constraints = [.. pod.SpreadConstraints.Where(c => c.WhenUnsatisfiable == action)];
        var matchNum = new Dictionary<string, int>[constraints.Length];
        for (var i = 0; i < constraints.Length; i++) matchNum[i] = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in snapshot.Nodes)
        {
            var labels = node.Node.Labels;
            var all = true;
            foreach (var c in constraints)
                if (!labels.ContainsKey(c.TopologyKey)) { all = false; break; }
            if (!all) continue;
            for (var i = 0; i < constraints.Length; i++)
            {
                var c = constraints[i];
                if (c.HonorNodeAffinity && !NodeAffinityFilter.Matches(pod, node.Node)) continue;
                if (c.HonorNodeTaints && TaintTolerationFilter.FirstUntolerated(pod, node.Node) is not null) continue;
                var value = labels[c.TopologyKey];
                var n = 0;
                foreach (var p in node.Pods)
                    if (p.Key != pod.Key && p.Key.Namespace == pod.Key.Namespace && c.Selector?.Matches(p.Labels) == true) n++;
                matchNum[i][value] = matchNum[i].GetValueOrDefault(value) + n;
            }
        }
        var min = new int[constraints.Length];
        for (var i = 0; i < constraints.Length; i++)
            min[i] = matchNum[i].Count == 0 || matchNum[i].Count < constraints[i].MinDomains ? 0 : matchNum[i].Values.Min();
        return new SpreadCounts { Constraints = constraints, MatchNum = matchNum, MinMatch = min };
    }
}
