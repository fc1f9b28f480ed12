using System.Text;

namespace Quorum.Core.Predicates;

/// <summary>
/// Folds per-node filter reasons into kube-scheduler's message, e.g.
/// "0/5000 nodes are available: 1000 node(s) had untolerated taint {gpu: true}, 4000 Insufficient nvidia.com/gpu."
/// </summary>
public sealed class Diagnosis
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    internal const string ReservedReason = "node(s) were reserved for a higher-priority gang";

    /// <summary>Reused by filters to report into without allocating per node.</summary>
    internal List<string> Scratch { get; } = new(2);

    public int Nodes { get; private set; }
    public int Feasible { get; private set; }
    public IReadOnlyDictionary<string, int> Reasons => _counts;

    public void AddNode(IEnumerable<string> reasons)
    {
        Nodes++;
        foreach (var r in reasons) Add(r, 1);
    }

    /// <summary>Counts <paramref name="nodes"/> nodes rejected for one reason without visiting them (from aggregates).</summary>
    public void AddNodes(string reason, int nodes)
    {
        if (nodes <= 0) return;
        Nodes += nodes;
        Add(reason, nodes);
    }

    public void AddNode(string reason)
    {
        Nodes++;
        Add(reason, 1);
    }

    public void AddFeasible()
    {
        Nodes++;
        Feasible++;
    }

    private void Add(string reason, int n) => _counts[reason] = _counts.GetValueOrDefault(reason) + n;

    /// <summary>kube-scheduler's FitError text: reasons as "count reason", sorted as strings.</summary>
    public string ToMessage()
    {
        var parts = _counts.Select(kv => $"{kv.Value} {kv.Key}").OrderBy(s => s, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder().Append(Feasible).Append('/').Append(Nodes).Append(" nodes are available");
        if (parts.Count > 0) sb.Append(": ").AppendJoin(", ", parts);
        return sb.Append('.').ToString();
    }
}
