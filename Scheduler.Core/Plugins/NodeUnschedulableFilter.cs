using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>kube-scheduler's NodeUnschedulable: a cordoned node takes only pods tolerating its taint.</summary>
public sealed class NodeUnschedulableFilter : INodeFilter
{
    internal static readonly Taint UnschedulableTaint = new("node.kubernetes.io/unschedulable", null, TaintEffect.NoSchedule);

    public string Name => "NodeUnschedulable";
    public StatusCode FailureCode => StatusCode.Unresolvable;
    public bool NodeSpecOnly => true;

    public bool Passes(Pod pod, NodeInfo node)
    {
        if (!node.Node.Unschedulable) return true;
        foreach (var t in pod.Tolerations)
            if (t.Tolerates(UnschedulableTaint)) return true;
        return false;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) => reasons.Add("node(s) were unschedulable");
}
