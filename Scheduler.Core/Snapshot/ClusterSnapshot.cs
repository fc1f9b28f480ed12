using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Snapshot;

/// <summary>
/// The frozen view one scheduling cycle decides on: every node with what its pods request, and one
/// <see cref="TopologyTree"/> per known topology. Kept current by <see cref="ClusterCache.UpdateSnapshot"/>,
/// which touches only the nodes that changed since the last update.
/// </summary>
/// <remarks>
/// A decision may add tentative requests (<see cref="Reserve"/>) and roll them back; the caller must
/// either assume the admitted pods in the cache or roll back before the next update.
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

    internal void SetNode(Node node, ResourceVector requested, long generation)
    {
        if (_slotByName.TryGetValue(node.Name, out var slot))
        {
            var info = _slots[slot]!;
            info.Node = node;
            info.Requested = requested;
            info.Generation = generation;
        }
        else
        {
            slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _highWater++;
            if (slot >= _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
            _slots[slot] = new NodeInfo(node, requested, slot, generation);
            _slotByName[node.Name] = slot;
        }
        foreach (var tree in _trees.Values) tree.Set(slot, node, requested);
    }

    internal void RemoveNode(string name)
    {
        if (!_slotByName.Remove(name, out var slot)) return;
        _slots[slot] = null;
        _freeSlots.Push(slot);
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

    /// <summary>Tentatively adds (or with a negative delta, removes) requests on a node during a decision.</summary>
    public void Reserve(int slot, ResourceVector delta)
    {
        var info = _slots[slot] ?? throw new ArgumentOutOfRangeException(nameof(slot), slot, "no node in this slot");
        info.Requested += delta;
        foreach (var tree in _trees.Values) tree.Set(slot, info.Node, info.Requested);
    }
}
