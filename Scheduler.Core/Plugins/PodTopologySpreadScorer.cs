using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's PodTopologySpread score for <c>whenUnsatisfiable: ScheduleAnyway</c>: the fewer
/// matching pods in the node's domain (weighted by log(domains + 2) per constraint, as kube-scheduler
/// does), the better. A node without a constraint's key scores worst.
/// </summary>
public sealed class PodTopologySpreadScorer : INodeScorer
{
    private const double Scale = 1000;

    public string Name => "PodTopologySpread";
    public bool LowerIsBetter => true;

    public bool IsActive(Pod pod, ClusterSnapshot snapshot) =>
        !pod.SpreadConstraints.IsDefaultOrEmpty && pod.SpreadConstraints.Any(c => c.WhenUnsatisfiable == SpreadAction.ScheduleAnyway);

    /// <summary>As <see cref="InterPodAffinityScorer.Avoids"/>: the least crowded domains with room are tried first, across the topology.</summary>
    public bool Avoids(Pod pod, NodeInfo node)
    {
        var counts = SpreadCounts.For(pod, node.Snapshot, SpreadAction.ScheduleAnyway);
        counts.BestScore ??= PreferredAffinityCounts.BestOf(pod, this, node.Snapshot, lowerIsBetter: true);
        return Score(pod, node) > counts.BestScore;
    }

    public bool MayAvoid => true;

    public long Score(Pod pod, NodeInfo node)
    {
        var counts = SpreadCounts.For(pod, node.Snapshot, SpreadAction.ScheduleAnyway);
        double score = 0, worst = 0;
        var missing = false;
        for (var i = 0; i < counts.Constraints.Length; i++)
        {
            var c = counts.Constraints[i];
            var domains = counts.MatchNum[i];
            var weight = Math.Log(domains.Count + 2);
            worst += ((domains.Count == 0 ? 0 : domains.Values.Max()) + 1) * weight + c.MaxSkew - 1;
            if (!node.Node.Labels.TryGetValue(c.TopologyKey, out var value)) { missing = true; continue; }
            score += domains.GetValueOrDefault(value) * weight + c.MaxSkew - 1;
        }
        return (long)Math.Round((missing ? worst : score) * Scale);
    }
}
