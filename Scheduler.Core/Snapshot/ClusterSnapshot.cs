using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Snapshot;

/// <summary>
/// The frozen view one scheduling cycle decides on: every node with what its pods request, and one
/// <see cref="TopologyTree"/> per known topology. Kept current by <see cref="ClusterCache.UpdateSnapshot"/>,
/// which touches only the nodes that changed since the last update.
/// </summary>
/// <remarks>
/// A decision changes it only through a <see cref="Framework.Statement"/> (tentative placements and
/// evictions, rolled back or committed); the caller must either assume what a statement committed in
/// the cache or roll it back before the next update.
/// </remarks>
public sealed class ClusterSnapshot
{
    private NodeInfo?[] _slots = new NodeInfo?[64];
    private readonly Dictionary<string, int> _slotByName = new(StringComparer.Ordinal);
    private readonly Stack<int> _freeSlots = new();
    private readonly Dictionary<string, TopologyTree> _trees = new(StringComparer.Ordinal);
    private int _highWater;

    /// <summary>The topology used for packing when a group names none: root → nodes.</summary>
    public const string FlatTopologyName = "";

    public ClusterSnapshot()
    {
        _trees[FlatTopologyName] = new TopologyTree(TopologySpec.Flat);
    }

    /// <summary>Cache generation this snapshot reflects; 0 when never updated.</summary>
    public long Generation { get; internal set; }

    /// <summary>Which cache last updated this snapshot, so another cache starts from scratch.</summary>
    internal object? Owner { get; set; }

    internal long TopologyGeneration { get; set; } = -1;

    /// <summary>
    /// Bumped when a node is added or removed or its spec changes (labels, taints, unschedulable,
    /// allocatable), not when pods come and go: answers that depend on node specs only are cached
    /// against it (<see cref="Framework.Eligibility"/>).
    /// </summary>
    public long SpecGeneration { get; private set; }

    /// <summary>
    /// Bumped whenever a pod comes or goes on any node, tentatively or not: answers that count pods
    /// across domains (inter-pod affinity, topology spread) are cached against it.
    /// </summary>
    public long PodGeneration { get; private set; }

    private readonly HashSet<int> _antiAffinitySlots = [];

    /// <summary>Nodes holding a pod with a required anti-affinity term; empty in most GPU clusters, so the check costs nothing.</summary>
    public IReadOnlyCollection<int> AntiAffinitySlots => _antiAffinitySlots;

    private readonly Dictionary<string, Dictionary<string, List<NodeInfo>>> _byLabel = new(StringComparer.Ordinal);
    private long _byLabelGeneration = -1;

    /// <summary>The nodes per value of label <paramref name="key"/> (nodes without it are absent); kept until a node spec changes.</summary>
    public IReadOnlyDictionary<string, List<NodeInfo>> NodesByLabel(string key)
    {
        if (_byLabelGeneration != SpecGeneration)
        {
            _byLabel.Clear();
            _byLabelGeneration = SpecGeneration;
        }
        if (_byLabel.TryGetValue(key, out var domains)) return domains;
        domains = new Dictionary<string, List<NodeInfo>>(StringComparer.Ordinal);
        foreach (var n in Nodes)
        {
            if (!n.Node.Labels.TryGetValue(key, out var value)) continue;
            if (!domains.TryGetValue(value, out var list)) domains[value] = list = [];
            list.Add(n);
        }
        _byLabel[key] = domains;
        return domains;
    }

    /// <summary>Claims, volumes and storage classes, as of the last update from the cache.</summary>
    public Model.VolumeCatalog Volumes { get; internal set; } = Model.VolumeCatalog.Empty;

    private readonly Dictionary<object, (Pod Pod, long Generation, object Value)> _perPod = [];

    /// <summary>
    /// The PreFilter state a plugin that counts pods across domains keeps for one incoming pod: built by
    /// <paramref name="build"/> once, and again whenever another pod is asked about or a pod comes or
    /// goes (<see cref="PodGeneration"/>). One entry per <paramref name="key"/>: the search asks about one
    /// pod over many nodes in a row.
    /// </summary>
    internal T PerPod<T>(object key, Pod pod, Func<Pod, ClusterSnapshot, T> build) where T : class
    {
        if (_perPod.TryGetValue(key, out var e) && ReferenceEquals(e.Pod, pod) && e.Generation == PodGeneration) return (T)e.Value;
        var value = build(pod, this);
        _perPod[key] = (pod, PodGeneration, value);
        return value;
    }

    private void TrackAntiAffinity(NodeInfo info)
    {
        if (info.AntiAffinityPods > 0) _antiAffinitySlots.Add(info.Slot);
        else _antiAffinitySlots.Remove(info.Slot);
    }

    /// <summary>Nodes with at least one PreferNoSchedule taint: scoring them is pointless while there are none.</summary>
    public int PreferNoScheduleNodes { get; private set; }

    /// <summary>Answers cached against <see cref="SpecGeneration"/>, shared by every cycle on this snapshot.</summary>
    internal Framework.Eligibility Eligibility => _eligibility ??= new Framework.Eligibility(this);

    private Framework.Eligibility? _eligibility;

    public int NodeCount => _slotByName.Count;

    /// <summary>Upper bound on slot indices, for arrays indexed by slot.</summary>
    public int SlotCount => _highWater;

    public NodeInfo? this[int slot] => slot < _highWater ? _slots[slot] : null;

    public NodeInfo? Find(string name) => _slotByName.TryGetValue(name, out var s) ? _slots[s] : null;

    public IEnumerable<NodeInfo> Nodes
    {
        get
        {
            for (var i = 0; i < _highWater; i++)
                if (_slots[i] is { } n) yield return n;
        }
    }

    public IReadOnlyCollection<string> TopologyNames => _trees.Keys;

    /// <summary>The tree for a topology; the flat one for null or empty.</summary>
    public TopologyTree? Tree(string? topology) =>
        _trees.TryGetValue(topology ?? FlatTopologyName, out var t) ? t : null;

    public TopologyTree FlatTree => _trees[FlatTopologyName];

    internal void SetNode(Node node, ResourceVector requested, IReadOnlyCollection<Pod> pods, long generation)
    {
        NodeInfo info;
        if (_slotByName.TryGetValue(node.Name, out var slot))
        {
            info = _slots[slot]!;
            if (!info.Node.SpecEquals(node))
            {
                SpecGeneration++;
                PreferNoScheduleNodes += (node.HasPreferNoScheduleTaint ? 1 : 0) - (info.Node.HasPreferNoScheduleTaint ? 1 : 0);
            }
            info.Node = node;
            info.Requested = requested;
            info.Generation = generation;
        }
        else
        {
            slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _highWater++;
            if (slot >= _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
            _slots[slot] = info = new NodeInfo(this, node, requested, slot, generation);
            _slotByName[node.Name] = slot;
            SpecGeneration++;
            if (node.HasPreferNoScheduleTaint) PreferNoScheduleNodes++;
        }
        info.SetPods(pods);
        TrackAntiAffinity(info);
        PodGeneration++;
        foreach (var tree in _trees.Values) tree.Set(slot, node, requested);
    }

    internal void RemoveNode(string name)
    {
        if (!_slotByName.Remove(name, out var slot)) return;
        if (_slots[slot]!.Node.HasPreferNoScheduleTaint) PreferNoScheduleNodes--;
        _slots[slot] = null;
        _antiAffinitySlots.Remove(slot);
        PodGeneration++;
        _freeSlots.Push(slot);
        SpecGeneration++;
        foreach (var tree in _trees.Values) tree.Remove(slot);
    }

    /// <summary>Adds a topology's tree (O(nodes), once) or rebuilds it when its levels changed.</summary>
    internal void SetTopology(TopologySpec spec)
    {
        if (spec.Name == FlatTopologyName) throw new ArgumentException("topology name must not be empty", nameof(spec));
        if (_trees.TryGetValue(spec.Name, out var existing) && existing.Spec.Equals(spec)) return;
        var tree = new TopologyTree(spec);
        foreach (var n in Nodes) tree.Set(n.Slot, n.Node, n.Requested);
        _trees[spec.Name] = tree;
    }

    internal void RemoveTopology(string name)
    {
        if (name != FlatTopologyName) _trees.Remove(name);
    }

    /// <summary>A statement places (or, with <paramref name="add"/> false, takes away) a pod tentatively.</summary>
    internal void Apply(int slot, Pod pod, bool add)
    {
        var info = _slots[slot] ?? throw new ArgumentOutOfRangeException(nameof(slot), slot, "no node in this slot");
        if (add)
        {
            info.Requested += pod.Requests;
            info.AddPod(pod);
        }
        else
        {
            info.Requested -= pod.Requests;
            info.RemovePod(pod);
        }
        TrackAntiAffinity(info);
        PodGeneration++;
        foreach (var tree in _trees.Values) tree.Set(slot, info.Node, info.Requested);
    }
}
