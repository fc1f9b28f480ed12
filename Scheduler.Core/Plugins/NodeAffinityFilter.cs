using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>kube-scheduler's NodeAffinity: spec.nodeSelector and required node affinity terms.</summary>
public sealed class NodeAffinityFilter : INodeFilter
{
    public string Name => "NodeAffinity";
    public StatusCode FailureCode => StatusCode.Unresolvable;
    public bool NodeSpecOnly => true;

    public bool Passes(Pod pod, NodeInfo node) => Matches(pod, node.Node);

    /// <summary>The pod's selector and required node affinity accept the node.</summary>
    internal static bool Matches(Pod pod, Node node)
    {
        var labels = node.Labels;
        foreach (var (key, value) in pod.NodeSelectorPairs)
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        if (pod.RequiredNodeAffinity.IsDefaultOrEmpty) return true;
        foreach (var term in pod.RequiredNodeAffinity)
            if (term.Matches(node)) return true;
        return false;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) =>
        reasons.Add("node(s) didn't match Pod's node affinity/selector");
}
