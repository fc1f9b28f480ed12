using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's TaintToleration filter: every NoSchedule and NoExecute taint must be tolerated.
/// PreferNoSchedule only lowers a node's score, so it never filters.
/// </summary>
public sealed class TaintTolerationFilter : INodeFilter
{
    public string Name => "TaintToleration";
    public StatusCode FailureCode => StatusCode.Unresolvable;
    public bool NodeSpecOnly => true;

    public bool Passes(Pod pod, NodeInfo node) => FirstUntolerated(pod, node.Node) is null;

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) =>
        reasons.Add($"node(s) had untolerated taint {FirstUntolerated(pod, node.Node)}");

    internal static Taint? FirstUntolerated(Pod pod, Node node)
    {
        foreach (var taint in node.Taints)
        {
            if (taint.Effect == TaintEffect.PreferNoSchedule) continue;
            var tolerated = false;
            foreach (var t in pod.Tolerations)
            {
                if (t.Tolerates(taint)) { tolerated = true; break; }
            }
            if (!tolerated) return taint;
        }
        return null;
    }
}
