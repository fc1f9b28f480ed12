using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>kube-scheduler's NodeResourcesFit: every requested resource, and a pod slot, is free.</summary>
public sealed class NodeResourcesFitFilter : INodeFilter
{
    public string Name => "NodeResourcesFit";
    public StatusCode FailureCode => StatusCode.Unschedulable;
    public bool NodeSpecOnly => false;

    public bool Passes(Pod pod, NodeInfo node)
    {
        // Cheap GPU check first: on GPU clusters it rejects most nodes without building a vector.
        if (pod.Requests.Gpu > 0 && pod.Requests.Gpu > node.FreeGpu) return false;
        return pod.Requests.FitsIn(node.Free);
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons)
    {
        foreach (var name in pod.Requests.Insufficient(node.Free))
            reasons.Add(Reason(name));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Reasons = new(StringComparer.Ordinal);

    /// <summary>The reason text, built once per resource name: diagnosis visits every node.</summary>
    internal static string Reason(string resource) =>
        Reasons.GetOrAdd(resource, r => r == ResourceNames.Pods ? "Too many pods" : $"Insufficient {r}");
}
