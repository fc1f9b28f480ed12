using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's InterPodAffinity, the part no eviction can resolve: every required pod affinity
/// term must find a pod it selects in the node's domain of the term's topology key (the node must
/// carry that label). The first pod of a series that selects itself may start it when no pod matches
/// anywhere. Members of the same gang placed earlier in the cycle count.
/// </summary>
public sealed class InterPodAffinityFilter : INodeFilter
{
    public const string Reason = "node(s) didn't match pod affinity rules";

    public string Name => "InterPodAffinity";
    public StatusCode FailureCode => StatusCode.Unresolvable;
    public bool NodeSpecOnly => false;

    public bool Passes(Pod pod, NodeInfo node)
    {
        var required = pod.Affinity.Required;
        if (required.IsDefaultOrEmpty) return true;
        var counts = PodAffinityCounts.For(pod, node.Snapshot);
        var podsExist = true;
        foreach (var term in required)
        {
            // Every term's topology label must be on the node, whatever the counts.
            if (!node.Node.Labels.TryGetValue(term.TopologyKey, out var value)) return false;
            if (counts.Affinity.GetValueOrDefault((term.TopologyKey, value)) <= 0) podsExist = false;
        }
        return podsExist || counts.MayStartSeries;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) => reasons.Add(Reason);
}

/// <summary>
/// kube-scheduler's InterPodAffinity, the part an eviction could resolve: no pod on the node's domain
/// may have a required anti-affinity term that selects the incoming pod, and none of the incoming
/// pod's required anti-affinity terms may select a pod in the node's domain. Members of the same gang
/// placed earlier in the cycle count, so a gang whose pods repel each other spreads.
/// </summary>
public sealed class InterPodAntiAffinityFilter : INodeFilter
{
    public const string ExistingReason = "node(s) didn't satisfy existing pods anti-affinity rules";
    public const string Reason = "node(s) didn't match pod anti-affinity rules";

    public string Name => "InterPodAffinity";
    public StatusCode FailureCode => StatusCode.Unschedulable;
    public bool NodeSpecOnly => false;

    public bool Passes(Pod pod, NodeInfo node) => Failure(pod, node) is null;

    public void Explain(Pod pod, NodeInfo node, List<string> reasons)
    {
        if (Failure(pod, node) is { } reason) reasons.Add(reason);
    }

    private static string? Failure(Pod pod, NodeInfo node)
    {
        var anti = pod.Affinity.RequiredAnti;
        // Most GPU clusters have no anti-affinity at all: nothing to count.
        if (anti.IsDefaultOrEmpty && node.Snapshot.AntiAffinitySlots.Count == 0) return null;
        var counts = PodAffinityCounts.For(pod, node.Snapshot);
        var labels = node.Node.Labels;
        foreach (var ((key, value), n) in counts.ExistingAnti)
            if (n > 0 && labels.TryGetValue(key, out var v) && v == value) return ExistingReason;
        if (!anti.IsDefaultOrEmpty)
            foreach (var term in anti)
                if (labels.TryGetValue(term.TopologyKey, out var v) && counts.Anti.GetValueOrDefault((term.TopologyKey, v)) > 0) return Reason;
        return null;
    }
}
