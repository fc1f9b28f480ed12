using Quorum.Core.Model;

namespace Quorum.Core.Snapshot;

/// <summary>
/// A node as one scheduling cycle sees it: the spec, the pods on it (bound, assumed, and those a
/// statement placed or evicted tentatively) and the sum of what they request. Snapshot-owned and
/// mutable only through <see cref="ClusterSnapshot"/> and <see cref="Framework.Statement"/>, so the
/// topology aggregates stay in step.
/// </summary>
public sealed class NodeInfo
{
    // Null while the node holds no pod: most nodes of a large idle pool, and a list each would cost memory.
    private List<Pod>? _pods;

    internal NodeInfo(ClusterSnapshot snapshot, Node node, ResourceVector requested, int slot, long generation)
    {
        Snapshot = snapshot;
        Node = node;
        Requested = requested;
        Slot = slot;
        Generation = generation;
    }

    /// <summary>The snapshot the node belongs to: filters that count pods across a domain (inter-pod affinity, spread) read it.</summary>
    public ClusterSnapshot Snapshot { get; }

    public Node Node { get; internal set; }

    /// <summary>Pods on the node with a required anti-affinity term: others must stay out of their domains.</summary>
    public int AntiAffinityPods { get; private set; }
    public string Name => Node.Name;

    /// <summary>Sum of the effective requests of every pod on the node, including pod slots.</summary>
    public ResourceVector Requested { get; internal set; }

    public ResourceVector Free => Node.Allocatable - Requested;

    /// <summary>Free GPUs, without building the whole free vector.</summary>
    public long FreeGpu => Node.Allocatable.Gpu - Requested.Gpu;

    /// <summary>Dense index of the node in its snapshot; stable while the node exists.</summary>
    public int Slot { get; }

    /// <summary>Cache generation this copy was taken at.</summary>
    public long Generation { get; internal set; }

    /// <summary>The pods on the node, in no particular order: priority and group say who they are, for eviction.</summary>
    public IReadOnlyList<Pod> Pods => (IReadOnlyList<Pod>?)_pods ?? [];

    internal void SetPods(IReadOnlyCollection<Pod> pods)
    {
        AntiAffinityPods = 0;
        if (pods.Count == 0)
        {
            _pods = null;
            return;
        }
        if (_pods is null) _pods = new List<Pod>(pods.Count);
        else _pods.Clear();
        _pods.AddRange(pods);
        foreach (var p in _pods)
            if (!p.Affinity.RequiredAnti.IsDefaultOrEmpty) AntiAffinityPods++;
    }

    internal void AddPod(Pod pod)
    {
        (_pods ??= new List<Pod>(2)).Add(pod);
        if (!pod.Affinity.RequiredAnti.IsDefaultOrEmpty) AntiAffinityPods++;
    }

    internal void RemovePod(Pod pod)
    {
        if (_pods is null) return;
        // Tentative pods are undone newest first, so the last match is the one to take.
        for (var i = _pods.Count - 1; i >= 0; i--)
        {
            if (_pods[i].Key != pod.Key) continue;
            if (!_pods[i].Affinity.RequiredAnti.IsDefaultOrEmpty) AntiAffinityPods--;
            _pods.RemoveAt(i);
            break;
        }
        if (_pods.Count == 0) _pods = null;
    }
}
