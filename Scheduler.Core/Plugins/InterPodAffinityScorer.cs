using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's InterPodAffinity score for the pod's preferred terms: each affinity term adds its
/// weight per pod it selects in the node's domain, each anti-affinity term takes it away. Raw scores
/// must not be negative here, so an anti-affinity term counts as weight × (its most crowded domain's
/// count − this domain's): the same order of nodes as kube-scheduler's min-max normalisation.
/// </summary>
/// <remarks>Existing pods' preferred terms toward the incoming pod are not scored (kube-scheduler does score them).</remarks>
public sealed class InterPodAffinityScorer : INodeScorer
{
    public string Name => "InterPodAffinity";
    public bool LowerIsBetter => false;

    public bool IsActive(Pod pod, ClusterSnapshot snapshot) =>
        !pod.Affinity.Preferred.IsDefaultOrEmpty || !pod.Affinity.PreferredAnti.IsDefaultOrEmpty;

    /// <summary>
    /// Preferences reach across domains: the search descends the topology most-used first and scores
    /// only inside the innermost domain, so it first tries only the best-scoring nodes that have room.
    /// </summary>
    public bool Avoids(Pod pod, NodeInfo node) => Score(pod, node) < PreferredAffinityCounts.For(pod, node.Snapshot).Best(this);

    public bool MayAvoid => true;

    public long Score(Pod pod, NodeInfo node)
    {
        var counts = PreferredAffinityCounts.For(pod, node.Snapshot);
        var labels = node.Node.Labels;
        long score = 0;
        var preferred = pod.Affinity.Preferred;
        for (var i = 0; !preferred.IsDefaultOrEmpty && i < preferred.Length; i++)
            if (labels.TryGetValue(preferred[i].Term.TopologyKey, out var v))
                score += preferred[i].Weight * (long)counts.Affinity[i].GetValueOrDefault(v);
        var anti = pod.Affinity.PreferredAnti;
        for (var i = 0; !anti.IsDefaultOrEmpty && i < anti.Length; i++)
        {
            var here = labels.TryGetValue(anti[i].Term.TopologyKey, out var v) ? counts.Anti[i].GetValueOrDefault(v) : 0;
            score += anti[i].Weight * (long)(counts.MaxAnti[i] - here);
        }
        return score;
    }
}

/// <summary>Per preferred term, the pods it selects per domain value; cached per pod and pod generation.</summary>
internal sealed class PreferredAffinityCounts
{
    public required Pod Pod { get; init; }
    public required Dictionary<string, int>[] Affinity { get; init; }
    public required Dictionary<string, int>[] Anti { get; init; }
    public required int[] MaxAnti { get; init; }

    private long? _best;

    /// <summary>The highest score among nodes with room for the pod's GPUs.</summary>
    public long Best(INodeScorer scorer) => _best ??= BestOf(Pod, scorer, Snapshot!);

    private ClusterSnapshot? Snapshot { get; init; }

    internal static long BestOf(Pod pod, INodeScorer scorer, ClusterSnapshot snapshot, bool lowerIsBetter = false)
    {
        long? best = null;
        foreach (var n in snapshot.Nodes)
        {
            if (n.FreeGpu < pod.Requests.Gpu) continue;
            var s = scorer.Score(pod, n);
            if (best is null || (lowerIsBetter ? s < best : s > best)) best = s;
        }
        return best ?? 0;
    }

    private static readonly object Key = new();

    public static PreferredAffinityCounts For(Pod pod, ClusterSnapshot snapshot) => snapshot.PerPod(Key, pod, Build);

    private static PreferredAffinityCounts Build(Pod pod, ClusterSnapshot snapshot)
    {
        var preferred = pod.Affinity.Preferred.IsDefault ? [] : pod.Affinity.Preferred;
        var anti = pod.Affinity.PreferredAnti.IsDefault ? [] : pod.Affinity.PreferredAnti;
        var affinity = Count(pod, preferred, snapshot);
        var antiCounts = Count(pod, anti, snapshot);
        return new PreferredAffinityCounts
        {
            Pod = pod,
            Snapshot = snapshot,
            Affinity = affinity,
            Anti = antiCounts,
            MaxAnti = [.. antiCounts.Select(d => d.Count == 0 ? 0 : d.Values.Max())],
        };
    }

    private static Dictionary<string, int>[] Count(Pod pod, IReadOnlyList<WeightedPodAffinityTerm> terms, ClusterSnapshot snapshot)
    {
        var counts = new Dictionary<string, int>[terms.Count];
        for (var i = 0; i < terms.Count; i++) counts[i] = new Dictionary<string, int>(StringComparer.Ordinal);
        if (terms.Count == 0) return counts;
        foreach (var node in snapshot.Nodes)
        {
            if (node.Pods.Count == 0) continue;
            for (var i = 0; i < terms.Count; i++)
            {
                var term = terms[i].Term;
                if (!node.Node.Labels.TryGetValue(term.TopologyKey, out var value)) continue;
                var n = 0;
                foreach (var p in node.Pods)
                    if (p.Key != pod.Key && term.Selects(p)) n++;
                if (n > 0) counts[i][value] = counts[i].GetValueOrDefault(value) + n;
            }
        }
        return counts;
    }
}
