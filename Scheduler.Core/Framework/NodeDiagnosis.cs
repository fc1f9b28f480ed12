using System.Text;

namespace Quorum.Core.Framework;

/// <summary>
/// Why a pod fits no node, node by node, as kube-scheduler's Diagnosis: each node counted under the
/// first filter it fails, with that filter's reasons and code. Rendered as kube-scheduler's FitError,
/// e.g. "0/5000 nodes are available: 1000 node(s) had untolerated taint {gpu: true}, 4000 Insufficient nvidia.com/gpu."
/// </summary>
public sealed class NodeDiagnosis
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    internal const string ReservedReason = "node(s) were held for a gang waiting longer";

    /// <summary>Reused by filters to report into without allocating per node.</summary>
    internal List<string> Scratch { get; } = new(2);

    public int Nodes { get; private set; }
    public int Feasible { get; private set; }

    /// <summary>Nodes that failed only on what freed capacity could change (resources, a reservation).</summary>
    public int Resolvable { get; private set; }

    public IReadOnlyDictionary<string, int> Reasons => _counts;

    /// <summary>Unschedulable when freed capacity on some node could help, Unresolvable when on none; Success when a node fits.</summary>
    public StatusCode Code => Feasible > 0 ? StatusCode.Success : Resolvable > 0 ? StatusCode.Unschedulable : StatusCode.Unresolvable;

    public void AddNode(IEnumerable<string> reasons, StatusCode code)
    {
        Nodes++;
        if (code == StatusCode.Unschedulable) Resolvable++;
        foreach (var r in reasons) Add(r, 1);
    }

    public void AddNode(string reason, StatusCode code)
    {
        Nodes++;
        if (code == StatusCode.Unschedulable) Resolvable++;
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
