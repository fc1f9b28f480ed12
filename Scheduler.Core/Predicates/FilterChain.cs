using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Predicates;

/// <summary>
/// The filters a pod must pass on a node, run in kube-scheduler's order; like kube-scheduler a node
/// is reported under the first filter it fails.
/// </summary>
public sealed class FilterChain
{
    public FilterChain(IEnumerable<INodeFilter> filters) => Filters = [.. filters];

    /// <summary>The filters every user expects from kube-scheduler.</summary>
    public static FilterChain Default { get; } = new(
    [
        new NodeUnschedulableFilter(),
        new NodeAffinityFilter(),
        new TaintTolerationFilter(),
        new NodeResourcesFitFilter(),
    ]);

    public ImmutableArray<INodeFilter> Filters { get; }

    public bool Passes(Pod pod, NodeInfo node)
    {
        foreach (var f in Filters)
            if (!f.Passes(pod, node)) return false;
        return true;
    }

    /// <summary>Adds why the pod does not fit on this node to <paramref name="diagnosis"/>.</summary>
    public void Explain(Pod pod, NodeInfo node, Diagnosis diagnosis)
    {
        foreach (var f in Filters)
        {
            if (f.Passes(pod, node)) continue;
            var reasons = new List<string>(2);
            f.Explain(pod, node, reasons);
            diagnosis.AddNode(reasons);
            return;
        }
        diagnosis.AddFeasible();
    }
}
