using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>kube-scheduler's NodePorts: a host port (protocol, host IP) may be used by one pod per node.</summary>
public sealed class NodePortsFilter : INodeFilter
{
    public const string Reason = "node(s) didn't have free ports for the requested pod ports";

    public string Name => "NodePorts";

    // Evicting the pod that holds the port would free it.
    public StatusCode FailureCode => StatusCode.Unschedulable;
    public bool NodeSpecOnly => false;

    public bool Passes(Pod pod, NodeInfo node)
    {
        if (pod.HostPorts.IsDefaultOrEmpty) return true;
        foreach (var other in node.Pods)
        {
            if (other.HostPorts.IsDefaultOrEmpty || other.Key == pod.Key) continue;
            foreach (var wanted in pod.HostPorts)
                foreach (var used in other.HostPorts)
                    if (wanted.ConflictsWith(used)) return false;
        }
        return true;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) => reasons.Add(Reason);
}
