using System.Collections.Immutable;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Predicates;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Placement;

/// <summary>
/// Places one gang on a snapshot, all or nothing at every level. Works by tentative reservations on
/// the snapshot (so every later choice sees earlier ones) recorded in a log that is rolled back to
/// a savepoint whenever a level fails.
/// </summary>
/// <remarks>
/// Search order, per level with a constraint: domains of the preferred level first, then wider
/// levels up to the required one; within a level, best fit (least GPU left over, then label order),
/// which keeps empty NVLink domains empty while a partly used one fits. Domains whose aggregates
/// cannot hold the level's minimum are skipped without visiting their nodes. Pods are packed onto
/// the most-used domain and node that fits, so whole nodes and domains stay free for big gangs.
/// </remarks>
internal sealed class GangPlacer
{
    private readonly ClusterSnapshot _snapshot;
    private readonly TopologyTree _tree;
    private readonly FilterChain _filters;
    private readonly PlacementOptions _options;
    private bool[]? _blocked;
    private int _blockedDomain;
    private readonly List<(int Slot, Pod Pod, GangNode Leaf, bool Extra)> _log = [];
    private readonly List<LevelFailure> _failures = [];
    private readonly List<List<int>> _buffers = [];

    // Per gang level, indexed by GangNode.Index.
    private readonly GangTree _gang;
    private readonly List<Pod>[] _pending;
    private readonly int[] _bound;
    private readonly int[] _pinned;
    private readonly int[] _scopeOf;
    private readonly bool[] _admitted;
    private readonly ResourceVector[] _demand;
    private readonly long[] _maxPodGpu;
    private readonly int[] _maxGpuPods;
    private readonly int[] _placedInLeaf;
    private readonly HashSet<ObjectKey> _placedPods = [];
    private string? _pinConflict;

    public GangPlacer(ClusterSnapshot snapshot, TopologyTree tree, FilterChain filters, PlacementOptions options,
        GangRequest request, bool[]? blockedSlots = null, int blockedDomain = -1)
    {
        _snapshot = snapshot;
        _tree = tree;
        _filters = filters;
        _options = options;
        _blocked = blockedSlots;
        _blockedDomain = blockedDomain;
        _gang = request.Tree;
        var n = _gang.Nodes.Length;
        _pending = new List<Pod>[n];
        _bound = new int[n];
        _pinned = new int[n];
        _scopeOf = new int[n];
        _admitted = new bool[n];
        _demand = new ResourceVector[n];
        _maxPodGpu = new long[n];
        _maxGpuPods = new int[n];
        _placedInLeaf = new int[n];
        Array.Fill(_pinned, -1);
        Array.Fill(_scopeOf, -1);
        for (var i = 0; i < n; i++) _pending[i] = [];
        Index(request.Members);
    }

    public IReadOnlyList<LevelFailure> Failures => _failures;

    /// <summary>Applies a reservation made after this gang's minimum was placed (it still binds its extras).</summary>
    public void Respect(Reservation? reservation)
    {
        if (reservation is null) return;
        _blocked = reservation.BlockedSlots;
        _blockedDomain = ReferenceEquals(reservation.Tree, _tree) ? reservation.Domain : -1;
    }

    /// <summary>Pods placed so far, in placement order.</summary>
    public IEnumerable<PodPlacement> Placements =>
        _log.Select(e => new PodPlacement(e.Pod.Key, _snapshot[e.Slot]!.Name, e.Leaf.Path.Length == 0 ? null : e.Leaf.Name, e.Extra));

    public int Savepoint => _log.Count;

    public int BoundMembers => _bound[0];

    /// <summary>Pods that exist for each leaf below its minimum: the group waits for its pods, not for capacity.</summary>
    public IEnumerable<(GangNode Leaf, int Have, int Need)> MissingPods()
    {
        foreach (var g in _gang.Nodes)
        {
            if (!g.IsLeaf) continue;
            var have = _bound[g.Index] + _pending[g.Index].Count;
            if (have < g.MinMember && RequiredForRoot(g)) yield return (g, have, g.MinMember);
        }
    }

    public string? PinConflict => _pinConflict;

    // ---- Phase 1: every level's minimum ----------------------------------------------------------

    public bool PlaceMinimum()
    {
        if (_pinConflict is not null) return false;
        return Place(_gang.Root, TopologyTree.RootDomain);
    }

    private bool Place(GangNode g, int scope)
    {
        if (SatisfiedByBound(g))
        {
            MarkAdmitted(g, _pinned[g.Index] >= 0 ? _pinned[g.Index] : scope);
            return true;
        }

        var effScope = scope;
        if (_pinned[g.Index] >= 0)
        {
            var pin = _pinned[g.Index];
            if (_tree.AncestorAt(pin, _tree.DepthOf(scope)) != scope) return Fail(g, scope, 0, "its bound pods lie outside the domain chosen for its parent");
            effScope = pin;
        }
        var floor = Math.Max(g.RequiredDepth, _tree.DepthOf(effScope));
        var top = g.PreferredDepth > floor ? g.PreferredDepth : floor;
        for (var depth = top; depth >= floor; depth--)
        {
            var candidates = Rent();
            try
            {
                // Tighter (preferred) levels skip subtrees that cannot hold the minimum: on HGX the NVLink
                // level is every node, and listing 100k of them costs more than the whole decision. The
                // required level lists every domain, so its message can say what the best one fits.
                if (depth > floor) _tree.DomainsAt(effScope, depth, candidates, _demand[g.Index].Gpu, _maxPodGpu[g.Index]);
                else _tree.DomainsAt(effScope, depth, candidates);
                var best = 0;
                var feasible = Rent();
                try
                {
                    foreach (var c in candidates)
                    {
                        if (CanRuleOut(g, c, out var bound)) best = Math.Max(best, bound);
                        else feasible.Add(c);
                    }
                    SortBestFit(feasible, _demand[g.Index]);
                    var attempts = 0;
                    foreach (var c in feasible)
                    {
                        if (++attempts > _options.MaxDomainAttempts) break;
                        var sp = Savepoint;
                        var placedBefore = CountPlacedIn(g);
                        if (PlaceWithin(g, c))
                        {
                            MarkAdmitted(g, _tree.AncestorAt(c, floor));
                            return true;
                        }
                        best = Math.Max(best, CountPlacedIn(g) - placedBefore);
                        Rollback(sp);
                    }
                }
                finally
                {
                    Return(feasible);
                }
                // Only the widest level's figures are reported: that is the constraint the user cannot relax.
                if (depth == floor)
                {
                    if (!g.IsLeaf) ExplainChildren(g, candidates, depth);
                    return Fail(g, effScope, best, null, depth);
                }
            }
            finally
            {
                Return(candidates);
            }
        }
        return false;
    }

    private bool PlaceWithin(GangNode g, int domain)
    {
        if (g.IsLeaf)
        {
            var need = g.MinMember - _bound[g.Index];
            var pods = _pending[g.Index];
            for (var i = 0; i < need; i++)
            {
                if (i >= pods.Count || !PlacePod(pods[i], g, domain, extra: false)) return false;
            }
            return true;
        }

        var needChildren = g.MinSubGroup - g.Children.Count(SatisfiedByBound);
        var admitted = 0;
        foreach (var child in OrderChildren(g))
        {
            if (SatisfiedByBound(child))
            {
                MarkAdmitted(child, _pinned[child.Index] >= 0 ? _pinned[child.Index] : domain);
                continue;
            }
            if (admitted >= needChildren) continue;
            var sp = Savepoint;
            if (Place(child, domain)) admitted++;
            else Rollback(sp);
        }
        return admitted >= needChildren;
    }

    // ---- Phase 2: elastic extras ---------------------------------------------------------------------

    /// <summary>Places pods and sub-groups above the minima where they fit; never fails the gang.</summary>
    public void PlaceExtras()
    {
        _placingExtras = true;
        Extras(_gang.Root, TopologyTree.RootDomain);
        _placingExtras = false;
    }

    // Whole sub-groups above a middle group's minimum are placed by the same code as minima: this
    // marks their pods as extras too.
    private bool _placingExtras;

    private void Extras(GangNode g, int scope)
    {
        var within = _scopeOf[g.Index] >= 0 ? _scopeOf[g.Index] : scope;
        if (g.IsLeaf)
        {
            foreach (var pod in _pending[g.Index])
            {
                if (_placedPods.Contains(pod.Key)) continue;
                PlacePod(pod, g, within, extra: true);
            }
            return;
        }
        foreach (var child in g.Children)
        {
            if (_admitted[child.Index])
            {
                Extras(child, within);
                continue;
            }
            var sp = Savepoint;
            if (Place(child, within)) Extras(child, within);
            else Rollback(sp);
        }
    }

    // ---- Pods onto nodes ---------------------------------------------------------------------------

    private bool PlacePod(Pod pod, GangNode leaf, int domain, bool extra)
    {
        var slot = FindNode(pod, domain);
        if (slot < 0) return false;
        _snapshot.Reserve(slot, pod.Requests);
        _log.Add((slot, pod, leaf, extra || _placingExtras));
        _placedPods.Add(pod.Key);
        _placedInLeaf[leaf.Index]++;
        return true;
    }

    /// <summary>The most-used node of the most-used sub-domain that passes every filter, or -1.</summary>
    private int FindNode(Pod pod, int domain)
    {
        var req = pod.Requests;
        if (_tree.NodeCount(domain) == 0 || _tree.MaxNodeFreeGpu(domain) < req.Gpu
            || _tree.FreeMilliCpu(domain) < req.MilliCpu || _tree.FreeMemory(domain) < req.Memory
            || IsBlockedDomain(domain))
            return -1;
        if (_tree.DepthOf(domain) == _tree.Depth) return FindNodeInLeaf(pod, domain);

        var children = Rent();
        try
        {
            foreach (var c in _tree.Children(domain))
                if (_tree.NodeCount(c) > 0 && _tree.MaxNodeFreeGpu(c) >= req.Gpu) children.Add(c);
            // Most used first (least free GPU), then label order: fills partly used domains before empty ones.
            for (var i = 0; i < children.Count; i++) SetKey(i, children[i], _tree.FreeGpu(children[i]), 0, 0);
            SortKeys(children);
            foreach (var c in children)
            {
                var slot = FindNode(pod, c);
                if (slot >= 0) return slot;
            }
            return -1;
        }
        finally
        {
            Return(children);
        }
    }

    private int FindNodeInLeaf(Pod pod, int leaf)
    {
        var nodes = _tree.NodesOf(leaf);
        var need = pod.Requests.Gpu;
        // Best fit on GPUs: try nodes with the fewest free GPUs that still fit, in name order; at most
        // one pass per distinct free-GPU value, and usually one.
        var floor = need;
        while (true)
        {
            var min = long.MaxValue;
            foreach (var s in nodes)
            {
                var free = _tree.NodeFreeGpu(s);
                if (free >= floor && free < min) min = free;
            }
            if (min == long.MaxValue) return -1;
            foreach (var s in nodes)
            {
                if (_tree.NodeFreeGpu(s) != min || (_blocked is not null && _blocked[s])) continue;
                if (_filters.Passes(pod, _snapshot[s]!)) return s;
            }
            floor = min + 1;
        }
    }

    // ---- Bookkeeping -------------------------------------------------------------------------------

    public void Rollback(int savepoint)
    {
        for (var i = _log.Count - 1; i >= savepoint; i--)
        {
            var (slot, pod, leaf, _) = _log[i];
            _snapshot.Reserve(slot, default(ResourceVector) - pod.Requests);
            _placedPods.Remove(pod.Key);
            _placedInLeaf[leaf.Index]--;
        }
        _log.RemoveRange(savepoint, _log.Count - savepoint);
    }

    private void MarkAdmitted(GangNode g, int scope)
    {
        _admitted[g.Index] = true;
        _scopeOf[g.Index] = scope;
    }

    private bool SatisfiedByBound(GangNode g) =>
        g.IsLeaf ? _bound[g.Index] >= g.MinMember : g.Children.Count(SatisfiedByBound) >= g.MinSubGroup;

    private bool RequiredForRoot(GangNode g)
    {
        // A leaf whose pods are missing blocks the group only if its ancestors cannot do without it.
        for (var n = g; n.Parent is not null; n = n.Parent)
            if (n.Parent.MinSubGroup < n.Parent.Children.Length) return false;
        return true;
    }

    private int CountPlacedIn(GangNode g)
    {
        if (g.IsLeaf) return _placedInLeaf[g.Index];
        var sum = 0;
        foreach (var c in g.Children) sum += CountPlacedIn(c);
        return sum;
    }

    private bool IsBlockedDomain(int domain) =>
        _blockedDomain >= 0 && _tree.AncestorAt(domain, _tree.DepthOf(_blockedDomain)) == _blockedDomain;

    /// <summary>
    /// True when the domain's aggregates prove the level's minimum cannot fit; <paramref name="fits"/> then
    /// says how many pods of the largest shape it could take at most.
    /// </summary>
    private bool CanRuleOut(GangNode g, int c, out int fits)
    {
        var d = _demand[g.Index];
        var gpu = _maxPodGpu[g.Index];
        var byGpu = _tree.MaxPodsByGpu(c, gpu);
        fits = (int)Math.Min(int.MaxValue, Math.Min(byGpu, _maxGpuPods[g.Index]));
        if (IsBlockedDomain(c)) { fits = 0; return true; }
        return d.Gpu > _tree.FreeGpu(c) || d.MilliCpu > _tree.FreeMilliCpu(c) || d.Memory > _tree.FreeMemory(c)
            || (gpu > 0 && (_tree.MaxNodeFreeGpu(c) < gpu || byGpu < _maxGpuPods[g.Index]));
    }

    private void SortBestFit(List<int> domains, ResourceVector demand)
    {
        // Least capacity left over first; a domain already in use before an empty one of the same size.
        for (var i = 0; i < domains.Count; i++)
        {
            var d = domains[i];
            SetKey(i, d, _tree.FreeGpu(d) - demand.Gpu, _tree.IsEmptyOfWork(d) ? 1 : 0, _tree.FreeMilliCpu(d));
        }
        SortKeys(domains);
    }

    private readonly record struct SortKey(long A, long B, long C, int Position, int Item) : IComparable<SortKey>
    {
        public int CompareTo(SortKey o)
        {
            var c = A.CompareTo(o.A);
            if (c != 0) return c;
            c = B.CompareTo(o.B);
            if (c != 0) return c;
            c = C.CompareTo(o.C);
            return c != 0 ? c : Position.CompareTo(o.Position);
        }
    }

    private SortKey[] _keys = new SortKey[64];

    private void SetKey(int i, int item, long a, long b, long c)
    {
        if (i >= _keys.Length) Array.Resize(ref _keys, Math.Max(i + 1, _keys.Length * 2));
        _keys[i] = new SortKey(a, b, c, i, item);
    }

    /// <summary>
    /// Sorts <paramref name="items"/> by the keys set with <see cref="SetKey"/>, ties kept in input
    /// order. Inputs come in label order, so ties break by label, never by domain id (which depends on
    /// the order nodes arrived in). Insertion sort for a level's usual fan-out (it wins below a few
    /// dozen), Array.Sort beyond: a level can hold thousands of domains (5,556 NVLink domains at 100k
    /// GB200 nodes), where insertion sort took 16.8 ms.
    /// </summary>
    private void SortKeys(List<int> items)
    {
        var n = items.Count;
        if (n <= 32)
        {
            for (var i = 1; i < n; i++)
            {
                var x = _keys[i];
                var j = i - 1;
                while (j >= 0 && _keys[j].CompareTo(x) > 0)
                {
                    _keys[j + 1] = _keys[j];
                    j--;
                }
                _keys[j + 1] = x;
            }
        }
        else
        {
            Array.Sort(_keys, 0, n);
        }
        for (var i = 0; i < n; i++) items[i] = _keys[i].Item;
    }

    private IEnumerable<GangNode> OrderChildren(GangNode g) =>
        // Hardest first (most GPUs), so a big child is not starved by small siblings; then as declared.
        g.Children.Select((c, i) => (c, i)).OrderByDescending(x => _demand[x.c.Index].Gpu).ThenBy(x => x.i).Select(x => x.c);

    private bool Fail(GangNode g, int scope, int best, string? why, int depth = -1)
    {
        var level = depth < 0 ? _tree.LevelName(_tree.DepthOf(scope)) : _tree.LevelName(depth);
        var where = depth <= 0 ? "in the cluster" : $"inside one {level}";
        var bestWhere = depth <= 0 ? "the cluster" : $"the best {ShortLevel(level)}";
        string message, unit;
        int needed;
        if (why is not null)
        {
            unit = "pods";
            needed = 0;
            message = $"{g.DisplayName} cannot be placed: {why}";
        }
        else if (g.IsLeaf)
        {
            needed = g.MinMember - _bound[g.Index];
            unit = Shape(_pending[g.Index].FirstOrDefault());
            message = $"{g.DisplayName} needs {needed} pods × {unit} {where}; {bestWhere} fits {Math.Min(best, needed - 1)}";
        }
        else
        {
            needed = g.MinSubGroup - g.Children.Count(SatisfiedByBound);
            unit = "sub-groups";
            message = $"{g.DisplayName} needs {needed} of {g.Children.Length} sub-groups {where}; {bestWhere} fits fewer";
        }
        _failures.Add(new LevelFailure(g.Path, level, needed, Math.Min(best, Math.Max(0, needed - 1)), unit, message));
        return false;
    }

    /// <summary>
    /// When a middle group fails, names the leaves that no candidate domain could hold even alone, so
    /// the user reads "decode needs 4 pods × 8 GPUs inside one block; the best block fits 2" rather
    /// than only that the group did not fit.
    /// </summary>
    private void ExplainChildren(GangNode g, List<int> candidates, int depth)
    {
        foreach (var child in g.Children)
        {
            if (SatisfiedByBound(child)) continue;
            if (!child.IsLeaf)
            {
                ExplainChildren(child, candidates, depth);
                continue;
            }
            var need = child.MinMember - _bound[child.Index];
            var best = 0;
            foreach (var c in candidates)
            {
                CanRuleOut(child, c, out var fits);
                var byCpu = _demand[child.Index].MilliCpu == 0 ? need : (int)Math.Min(need, _tree.FreeMilliCpu(c) / Math.Max(1, _demand[child.Index].MilliCpu / Math.Max(1, need)));
                best = Math.Max(best, Math.Min(fits, byCpu));
            }
            if (best < need && need > 0) Fail(child, TopologyTree.RootDomain, best, null, depth);
        }
    }

    private static string ShortLevel(string label)
    {
        var slash = label.LastIndexOf('/');
        var s = slash >= 0 ? label[(slash + 1)..] : label;
        return s.StartsWith("gpu.", StringComparison.Ordinal) ? s[4..] : s;
    }

    internal static string Shape(Pod? pod)
    {
        if (pod is null) return "?";
        var r = pod.Requests;
        return r.Gpu > 0 ? $"{r.Gpu} {ResourceNames.NvidiaGpu}" : $"{r.MilliCpu}m cpu";
    }

    private void Index(IReadOnlyList<Pod> members)
    {
        var pinSets = new HashSet<int>?[_gang.Nodes.Length];
        foreach (var pod in members)
        {
            var leaf = _gang.LeafFor(pod.Group?.SubGroup);
            if (leaf is null || pod.Terminated) continue;
            if (pod.IsBound)
            {
                int leafDomain = -1;
                if (_snapshot.Find(pod.NodeName!) is { } node) leafDomain = _tree.LeafOf(node.Slot);
                for (var g = leaf; g is not null; g = g.Parent)
                {
                    _bound[g.Index]++;
                    if (leafDomain >= 0 && g.RequiredDepth > 0)
                        (pinSets[g.Index] ??= []).Add(_tree.AncestorAt(leafDomain, g.RequiredDepth));
                }
            }
            else if (!pod.SchedulingGated)
            {
                _pending[leaf.Index].Add(pod);
            }
        }
        for (var i = 0; i < pinSets.Length; i++)
        {
            if (pinSets[i] is not { } set) continue;
            if (set.Count > 1)
            {
                _pinConflict ??= $"{_gang.Nodes[i].DisplayName}: bound pods already span {set.Count} domains of {_tree.LevelName(_gang.Nodes[i].RequiredDepth)}";
                continue;
            }
            _pinned[i] = set.First();
        }
        foreach (var list in _pending) list.Sort((a, b) => ObjectKey.Ordinal.Compare(a.Key, b.Key));
        // Demands, leaves first (children have larger indexes than parents).
        for (var i = _gang.Nodes.Length - 1; i >= 0; i--)
        {
            var g = _gang.Nodes[i];
            if (g.IsLeaf)
            {
                var need = Math.Max(0, g.MinMember - _bound[i]);
                var sum = ResourceVector.Zero;
                long maxGpu = 0;
                foreach (var p in _pending[i].Take(need))
                {
                    sum += p.Requests;
                    maxGpu = Math.Max(maxGpu, p.Requests.Gpu);
                }
                _demand[i] = sum;
                _maxPodGpu[i] = maxGpu;
                _maxGpuPods[i] = _pending[i].Take(need).Count(p => p.Requests.Gpu == maxGpu);
            }
            else
            {
                var needChildren = Math.Max(0, g.MinSubGroup - g.Children.Count(SatisfiedByBound));
                var cheapest = g.Children.Where(c => !SatisfiedByBound(c)).OrderBy(c => _demand[c.Index].Gpu).Take(needChildren).ToList();
                _demand[i] = cheapest.Aggregate(ResourceVector.Zero, (acc, c) => acc + _demand[c.Index]);
                _maxPodGpu[i] = cheapest.Count == 0 ? 0 : cheapest.Max(c => _maxPodGpu[c.Index]);
                _maxGpuPods[i] = cheapest.Where(c => _maxPodGpu[c.Index] == _maxPodGpu[i]).Sum(c => _maxGpuPods[c.Index]);
            }
        }
    }

    private List<int> Rent()
    {
        if (_buffers.Count == 0) return new List<int>(32);
        var b = _buffers[^1];
        _buffers.RemoveAt(_buffers.Count - 1);
        return b;
    }

    private void Return(List<int> buffer)
    {
        buffer.Clear();
        _buffers.Add(buffer);
    }

    internal ImmutableArray<PodFailure> UnplacedPods(string reason) =>
        [.. _pending.SelectMany(p => p).Where(p => !_placedPods.Contains(p.Key)).OrderBy(p => p.Key, ObjectKey.Ordinal).Select(p => new PodFailure(p.Key, reason))];
}
