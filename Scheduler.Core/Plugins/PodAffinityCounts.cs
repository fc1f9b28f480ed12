using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's InterPodAffinity PreFilter state for one incoming pod on one snapshot: per
/// (topology key, value), how many placed pods its required affinity terms and anti-affinity terms
/// select, and which domains existing pods' anti-affinity closes to it. Built once per pod and pod
/// generation (a gang's earlier members, placed tentatively, count), then each node is O(terms).
/// </summary>
internal sealed class PodAffinityCounts
{
    public Dictionary<(string Key, string Value), int> Affinity { get; } = [];
    public Dictionary<(string Key, string Value), int> Anti { get; } = [];
    public Dictionary<(string Key, string Value), int> ExistingAnti { get; } = [];

    /// <summary>No placed pod matches any affinity term, and the pod matches all its own: it may start the series.</summary>
    public bool MayStartSeries { get; private set; }

    private static readonly object Key = new();

    /// <summary>The counts for <paramref name="pod"/> on <paramref name="snapshot"/>, cached until a pod comes or goes.</summary>
    public static PodAffinityCounts For(Pod pod, ClusterSnapshot snapshot) => snapshot.PerPod(Key, pod, Build);

    private static PodAffinityCounts Build(Pod pod, ClusterSnapshot snapshot)
    {
        var c = new PodAffinityCounts();
        var required = pod.Affinity.Required;
        var anti = pod.Affinity.RequiredAnti;
        foreach (var slot in snapshot.AntiAffinitySlots)
        {
            if (snapshot[slot] is not { } node) continue;
            foreach (var existing in node.Pods)
            {
                if (existing.Key == pod.Key) continue;
                foreach (var term in existing.Affinity.RequiredAnti)
                    if (node.Node.Labels.TryGetValue(term.TopologyKey, out var v) && term.Selects(pod)) Increment(c.ExistingAnti, term.TopologyKey, v);
            }
        }
        if (!required.IsDefaultOrEmpty || !anti.IsDefaultOrEmpty)
        {
            foreach (var node in snapshot.Nodes)
            {
                var labels = node.Node.Labels;
                foreach (var existing in node.Pods)
                {
                    if (existing.Key == pod.Key) continue;
                    if (!required.IsDefaultOrEmpty)
                        foreach (var term in required)
                            if (labels.TryGetValue(term.TopologyKey, out var v) && term.Selects(existing)) Increment(c.Affinity, term.TopologyKey, v);
                    if (!anti.IsDefaultOrEmpty)
                        foreach (var term in anti)
                            if (labels.TryGetValue(term.TopologyKey, out var v) && term.Selects(existing)) Increment(c.Anti, term.TopologyKey, v);
                }
            }
        }
        c.MayStartSeries = c.Affinity.Count == 0 && !required.IsDefaultOrEmpty && required.All(t => t.Selects(pod));
        return c;
    }

    private static void Increment(Dictionary<(string, string), int> counts, string key, string value) =>
        counts[(key, value)] = counts.GetValueOrDefault((key, value)) + 1;
}
