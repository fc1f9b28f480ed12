using System.Collections.Immutable;
using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Profiles;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Placement;

/// <summary>
/// Searches for a placement of one gang, all or nothing at every level, through the session's
/// statement: every tentative placement is an allocation there, every failed branch a rollback to a
/// checkpoint, so later choices see earlier ones. What may hold a level, in which order domains are
/// tried and which node a pod takes come from the profile's plugins; this class only searches.
/// </summary>
/// <remarks>
/// Search order, per level with a constraint: domains of the preferred level first, then wider
/// levels up to the required one; within a level, the profile's domain orders (best fit). Domains
/// the domain filters rule out are skipped unvisited. Inside a domain, pods go to the most-used
/// sub-domain that fits, and there to the node the scorers rank first, so whole nodes and domains
/// stay free for big gangs.
/// </remarks>
internal sealed class GangSearch
{
    private readonly ClusterSnapshot _snapshot;
    private readonly TopologyTree _tree;
    private readonly SchedulerProfile _profile;
    private readonly Statement _statement;
    private readonly LevelContext _level;
    private Reservation? _reservation;
    private readonly List<LevelFailure> _failures = [];

    // Buffers of a search in progress (PlaceMinimum, PlaceExtras): taken from the thread's cache for the
    // call and given back after, so a decision does not allocate lists and key arrays sized by the
    // number of domains of a level (5,556 NVLink domains at 100k GB200 nodes) every time.
    private Scratch _scratch = null!;

    // Statement indices of this gang's allocations, in order: the statement is shared by every gang of
    // a cycle, and this gang's extras are placed after other gangs' minima.
    private readonly List<int> _ops = [];

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
    private readonly HashSet<ObjectKey> _placedPods;
    private readonly int _start;

    public GangSearch(Session session, TopologyTree tree, GangRequest request, Reservation? reservation)
    {
        _snapshot = session.Snapshot;
        _tree = tree;
        _profile = session.Profile;
        _statement = session.Statement;
        _reservation = reservation;
        _level = new LevelContext(tree);
        _gang = request.Tree;
        _start = _statement.Checkpoint();
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
        _placedPods = new HashSet<ObjectKey>(request.Members.Count);
        Index(request.Members);
    }

    public IReadOnlyList<LevelFailure> Failures => _failures;

    /// <summary>The code of the root's own failure: Unresolvable when no domain of its level could ever hold it.</summary>
    public StatusCode RootCode { get; private set; } = StatusCode.Unschedulable;

    /// <summary>
    /// kube-scheduler's per-node message for the first member that found no node while members placed
    /// before it were still on the snapshot, when its constraints count other pods; null otherwise.
    /// </summary>
    public NodeDiagnosis? StuckOn { get; private set; }

    private bool CountsOtherPods(Pod pod) =>
        !pod.Affinity.IsEmpty || !pod.HostPorts.IsDefaultOrEmpty || !pod.SpreadConstraints.IsDefaultOrEmpty || _snapshot.AntiAffinitySlots.Count > 0;

    /// <summary>Applies a reservation made after this gang's minimum was placed (it still places its extras).</summary>
    public void Respect(Reservation? reservation) => _reservation = reservation;

    /// <summary>Pods placed so far, in placement order.</summary>
    public ImmutableArray<PodPlacement> Placements
    {
        get
        {
            var placements = ImmutableArray.CreateBuilder<PodPlacement>(_ops.Count);
            foreach (var i in _ops)
            {
                var op = _statement.Operations[i];
                var leaf = _gang.Nodes[op.Tag];
                placements.Add(new PodPlacement(op.Pod.Key, _snapshot[op.Slot]!.Name, leaf.Path.Length == 0 ? null : leaf.Name, op.Extra));
            }
            return placements.MoveToImmutable();
        }
    }

    public int Savepoint => _statement.Checkpoint();

    public int BoundMembers => _bound[0];

    /// <summary>Pods that exist for each leaf below its minimum: the group waits for its pods, not for capacity.</summary>
    public IEnumerable<MissingPods> MissingPods()
    {
        foreach (var g in _gang.Nodes)
        {
            if (!g.IsLeaf) continue;
            var have = _bound[g.Index] + _pending[g.Index].Count;
            if (have < g.MinMember && RequiredForRoot(g)) yield return new MissingPods(g.Path, have, g.MinMember);
        }
    }

    public (string SubGroup, int Domains, string Level)? PinConflict { get; private set; }

    /// <summary>The pending pods this search has not placed, in name order.</summary>
    public ImmutableArray<ObjectKey> NotPlaced
    {
        get
        {
            // Usually none: an admitted gang without extras placed every pending pod.
            List<ObjectKey>? keys = null;
            foreach (var pods in _pending)
                foreach (var p in pods)
                    if (!_placedPods.Contains(p.Key)) (keys ??= []).Add(p.Key);
            if (keys is null) return [];
            keys.Sort(ObjectKey.Ordinal);
            return [.. keys];
        }
    }

    // ---- Phase 1: every level's minimum ----------------------------------------------------------

    public bool PlaceMinimum()
    {
        if (PinConflict is not null) return false;
        _scratch = Scratch.Take();
        try
        {
            return Place(_gang.Root, TopologyTree.RootDomain);
        }
        finally
        {
            Scratch.Give(_scratch);
            _scratch = null!;
        }
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
            if (_tree.AncestorAt(pin, _tree.DepthOf(scope)) != scope)
                return Fail(new LevelFailure(g.Path, _tree.LevelName(_tree.DepthOf(scope)), 0, 0, "pods", StatusCode.Unschedulable) { Kind = LevelFailureKind.OutsideParentDomain });
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
                var code = StatusCode.Unresolvable;
                var unlabelled = 0;
                string? unlabelledLevel = null;
                var feasible = Rent();
                try
                {
                    SetLevel(g, depth);
                    if (depth > floor)
                    {
                        // A preferred level's failures are never reported (only the required level's are,
                        // below), so the thousands of domains a tight level lists only need a verdict.
                        foreach (var c in candidates)
                            if (FilterDomain(c, out _) == StatusCode.Success) feasible.Add(c);
                    }
                    else
                    {
                        foreach (var c in candidates)
                        {
                            var verdict = FilterDomain(c, out var unresolvedByLabel);
                            if (verdict == StatusCode.Success)
                            {
                                feasible.Add(c);
                                continue;
                            }
                            code = StatusCodes.Merge(code, verdict);
                            if (unresolvedByLabel)
                            {
                                unlabelled += _tree.NodeCount(c);
                                unlabelledLevel ??= _tree.LevelName(_tree.UnlabelledDepth(c));
                            }
                            else best = Math.Max(best, Fits(g, c));
                        }
                    }
                    // Only the first MaxDomainAttempts domains are ever tried: only they need their order.
                    Order(feasible, _profile.Options.MaxDomainAttempts);
                    var attempts = 0;
                    foreach (var c in feasible)
                    {
                        code = StatusCode.Unschedulable;
                        if (++attempts > _profile.Options.MaxDomainAttempts) break;
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
                    if (g.Parent is null) RootCode = code;
                    return FailLevel(g, depth, best, code, unlabelled, unlabelledLevel);
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
                if (i >= pods.Count) return false;
                if (PlacePod(pods[i], g, domain, extra: false)) continue;
                // A pod that counts other pods (affinity, spread, ports) may fail only because of its
                // gang's members placed before it: say so while they are still placed.
                if (StuckOn is null && CountsOtherPods(pods[i])) StuckOn = _profile.Filters.Diagnose(pods[i], _snapshot, _reservation?.BlockedSlots);
                return false;
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
        _scratch = Scratch.Take();
        try
        {
            Extras(_gang.Root, TopologyTree.RootDomain);
        }
        finally
        {
            Scratch.Give(_scratch);
            _scratch = null!;
            _placingExtras = false;
        }
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

    // ---- Domains ----------------------------------------------------------------------------------

    private void SetLevel(GangNode g, int depth)
    {
        _level.Level = g;
        _level.Depth = depth;
        _level.Demand = _demand[g.Index];
        _level.MaxPodGpu = _maxPodGpu[g.Index];
        _level.PodsOfMaxGpu = _maxGpuPods[g.Index];
    }

    /// <summary>Runs the profile's domain filters on one candidate; the first that says no decides.</summary>
    private StatusCode FilterDomain(int domain, out bool unlabelled)
    {
        unlabelled = false;
        foreach (var f in _profile.DomainFilters)
        {
            var code = f.Filter(_level, domain);
            if (code == StatusCode.Success) continue;
            unlabelled = f is Plugins.RequiredLevelLabels;
            return code;
        }
        return StatusCode.Success;
    }

    /// <summary>How many pods of the level's largest shape the domain could take at most (for messages).</summary>
    private int Fits(GangNode g, int c)
    {
        var byGpu = _tree.MaxPodsByGpu(c, _maxPodGpu[g.Index]);
        return (int)Math.Min(int.MaxValue, Math.Min(byGpu, _maxGpuPods[g.Index]));
    }

    private void Order(List<int> domains, int limit)
    {
        var orders = _profile.DomainOrders;
        var keys = _scratch.Keys(domains.Count);
        for (var i = 0; i < domains.Count; i++) keys[i] = new SortKey(0, 0, 0, i, domains[i]);
        // One order at a time: each call site sees one plugin, which the JIT can devirtualise.
        if (orders.Length > 0)
        {
            var o = orders[0];
            for (var i = 0; i < domains.Count; i++) keys[i].A = o.Key(_level, keys[i].Item);
        }
        if (orders.Length > 1)
        {
            var o = orders[1];
            for (var i = 0; i < domains.Count; i++) keys[i].B = o.Key(_level, keys[i].Item);
        }
        if (orders.Length > 2)
        {
            var o = orders[2];
            for (var i = 0; i < domains.Count; i++) keys[i].C = o.Key(_level, keys[i].Item);
        }
        SortKeys(domains, limit);
    }

    // ---- Pods onto nodes ---------------------------------------------------------------------------

    private bool PlacePod(Pod pod, GangNode leaf, int domain, bool extra)
    {
        int slot;
        if (AvoidingScorers(pod))
        {
            // First without the nodes a scorer would have the pod avoid, then, when nothing else fits, with them.
            _avoiding = pod;
            slot = FindNode(pod, domain);
            _avoiding = null;
            if (slot < 0) slot = FindNode(pod, domain);
        }
        else slot = FindNode(pod, domain);
        if (slot < 0) return false;
        _ops.Add(_statement.Checkpoint());
        _statement.Allocate(pod, slot, leaf.Index, extra || _placingExtras);
        _placedPods.Add(pod.Key);
        _placedInLeaf[leaf.Index]++;
        return true;
    }

    /// <summary>The most-used sub-domain first, and in the innermost domain the node the scorers rank first; -1 when none fits.</summary>
    private int FindNode(Pod pod, int domain)
    {
        var req = pod.Requests;
        if (_tree.NodeCount(domain) == 0 || _tree.MaxNodeFreeGpu(domain) < req.Gpu
            || _tree.FreeMilliCpu(domain) < req.MilliCpu || _tree.FreeMemory(domain) < req.Memory)
            return -1;
        if (_tree.DepthOf(domain) == _tree.Depth) return FindNodeInLeaf(pod, domain);

        var children = Rent();
        try
        {
            var all = _tree.Children(domain);
            for (var i = 0; i < all.Count; i++)
            {
                var c = all[i];
                if (_tree.NodeCount(c) > 0 && _tree.MaxNodeFreeGpu(c) >= req.Gpu) children.Add(c);
            }
            // Most used first (least free GPU), then label order: fills partly used domains before empty ones.
            var keys = _scratch.Keys(children.Count);
            for (var i = 0; i < children.Count; i++) keys[i] = new SortKey(_tree.FreeGpu(children[i]), 0, 0, i, children[i]);
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

    // Set while a first pass looks for a node no scorer would have this pod avoid.
    private Pod? _avoiding;

    private bool AvoidingScorers(Pod pod)
    {
        foreach (var s in _profile.Scorers)
            if (s.Scorer.MayAvoid && s.Scorer.IsActive(pod, _snapshot)) return true;
        return false;
    }

    private bool Blocked(int slot)
    {
        if (_reservation is not null && _reservation.Blocks(slot)) return true;
        if (_avoiding is null) return false;
        foreach (var s in _profile.Scorers)
            if (s.Scorer.MayAvoid && s.Scorer.IsActive(_avoiding, _snapshot) && s.Scorer.Avoids(_avoiding, _snapshot[slot]!)) return true;
        return false;
    }

    private int FindNodeInLeaf(Pod pod, int leaf)
    {
        var scorers = _profile.Scorers;
        var active = 0;
        var onlyBestFit = true;
        foreach (var s in scorers)
        {
            if (!s.Scorer.IsActive(pod, _snapshot)) continue;
            active++;
            if (s.Scorer is not Plugins.GpuBestFit) onlyBestFit = false;
        }
        return onlyBestFit ? FindBestFit(pod, leaf, bestFit: active > 0) : FindBestScore(pod, leaf);
    }

    /// <summary>
    /// The fast path while GPU best fit is the only active scorer: nodes with the fewest free GPUs that
    /// still fit, in name order; at most one pass per distinct free-GPU value, and usually one.
    /// Without any scorer: the first node in name order that passes.
    /// </summary>
    private int FindBestFit(Pod pod, int leaf, bool bestFit)
    {
        // Indexed loops: a foreach over the IReadOnlyList would box its enumerator on every pass.
        var nodes = _tree.NodesOf(leaf);
        var filters = _profile.Filters;
        if (!bestFit)
        {
            for (var i = 0; i < nodes.Count; i++)
                if (!Blocked(nodes[i]) && filters.Passes(pod, _snapshot[nodes[i]]!)) return nodes[i];
            return -1;
        }
        var floor = pod.Requests.Gpu;
        while (true)
        {
            var min = long.MaxValue;
            for (var i = 0; i < nodes.Count; i++)
            {
                var free = _tree.NodeFreeGpu(nodes[i]);
                if (free >= floor && free < min) min = free;
            }
            if (min == long.MaxValue) return -1;
            for (var i = 0; i < nodes.Count; i++)
            {
                var s = nodes[i];
                if (_tree.NodeFreeGpu(s) != min || Blocked(s)) continue;
                if (filters.Passes(pod, _snapshot[s]!)) return s;
            }
            floor = min + 1;
        }
    }

    /// <summary>Every node of the domain that passes, scored by every active scorer, normalised and weighted as kube-scheduler does.</summary>
    private int FindBestScore(Pod pod, int leaf)
    {
        var nodes = _tree.NodesOf(leaf);
        var filters = _profile.Filters;
        var count = 0;
        var candidates = _scratch.Candidates(nodes.Count);
        for (var n = 0; n < nodes.Count; n++)
        {
            var s = nodes[n];
            if (Blocked(s) || _tree.NodeFreeGpu(s) < pod.Requests.Gpu || !filters.Passes(pod, _snapshot[s]!)) continue;
            candidates[count++] = s;
        }
        if (count <= 1) return count == 0 ? -1 : candidates[0];
        var (raw, total) = _scratch.Scores(count);
        Array.Clear(total, 0, count);
        foreach (var (scorer, weight) in _profile.Scorers)
        {
            if (!scorer.IsActive(pod, _snapshot)) continue;
            long max = 0;
            for (var i = 0; i < count; i++)
            {
                raw[i] = Math.Max(0, scorer.Score(pod, _snapshot[candidates[i]]!));
                max = Math.Max(max, raw[i]);
            }
            for (var i = 0; i < count; i++)
            {
                var normalised = max == 0 ? 0 : INodeScorer.MaxScore * raw[i] / max;
                if (scorer.LowerIsBetter) normalised = INodeScorer.MaxScore - normalised;
                total[i] += weight * normalised;
            }
        }
        var best = 0;
        for (var i = 1; i < count; i++)
            if (total[i] > total[best]) best = i;
        return candidates[best];
    }

    // ---- Bookkeeping -------------------------------------------------------------------------------

    /// <summary>Undoes this gang's placements after <paramref name="savepoint"/> in the statement, and the counts that follow them.</summary>
    public void Rollback(int savepoint)
    {
        while (_ops.Count > 0 && _ops[^1] >= savepoint)
        {
            var op = _statement.Operations[_ops[^1]];
            _placedPods.Remove(op.Pod.Key);
            _placedInLeaf[op.Tag]--;
            _ops.RemoveAt(_ops.Count - 1);
        }
        _statement.Rollback(savepoint);
    }

    /// <summary>Undoes everything this gang placed (it was refused).</summary>
    public void Abandon() => Rollback(_start);

    private void MarkAdmitted(GangNode g, int scope)
    {
        _admitted[g.Index] = true;
        _scopeOf[g.Index] = scope;
    }

    private bool SatisfiedByBound(GangNode g) =>
        g.IsLeaf ? _bound[g.Index] >= g.MinMember : g.Children.Count(SatisfiedByBound) >= g.MinSubGroup;

    private static bool RequiredForRoot(GangNode g)
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

    private record struct SortKey(long A, long B, long C, int Position, int Item) : IComparable<SortKey>
    {
        public readonly int CompareTo(SortKey o)
        {
            var c = A.CompareTo(o.A);
            if (c != 0) return c;
            c = B.CompareTo(o.B);
            if (c != 0) return c;
            c = C.CompareTo(o.C);
            return c != 0 ? c : Position.CompareTo(o.Position);
        }
    }

    /// <summary>
    /// Orders <paramref name="items"/> by the keys the caller wrote into <see cref="Scratch.Keys"/> (one
    /// per item, in item order), ties kept in input order. Inputs come in label order, so ties break
    /// by label, never by domain id (which depends on the order nodes arrived in). Insertion sort for
    /// a level's usual fan-out (it wins below a few dozen), Array.Sort beyond: a level can hold
    /// thousands of domains (5,556 NVLink domains at 100k GB200 nodes), where insertion sort took
    /// 16.8 ms. Only the first <paramref name="limit"/> positions are put in order when the caller
    /// reads no further (the rest keep their items, unordered): a heap of that many picks them in one
    /// pass, the same items in the same order as a full sort, since no two keys compare equal.
    /// </summary>
    private void SortKeys(List<int> items, int limit = int.MaxValue)
    {
        var n = items.Count;
        var keys = _scratch.Keys(n);
        if (n <= 32)
        {
            for (var i = 1; i < n; i++)
            {
                var x = keys[i];
                var j = i - 1;
                while (j >= 0 && keys[j].CompareTo(x) > 0)
                {
                    keys[j + 1] = keys[j];
                    j--;
                }
                keys[j + 1] = x;
            }
        }
        else if (limit > 0 && limit < n / 2)
        {
            SelectSmallest(keys, n, limit);
            Array.Sort(keys, 0, limit);
        }
        else
        {
            Array.Sort(keys, 0, n);
        }
        for (var i = 0; i < n; i++) items[i] = keys[i].Item;
    }

    /// <summary>Moves the <paramref name="k"/> smallest of the first <paramref name="n"/> keys to the front, in no order (a max-heap of k).</summary>
    private static void SelectSmallest(SortKey[] keys, int n, int k)
    {
        for (var i = k / 2 - 1; i >= 0; i--) SiftDown(keys, i, k);
        for (var i = k; i < n; i++)
        {
            if (keys[i].CompareTo(keys[0]) >= 0) continue;
            (keys[0], keys[i]) = (keys[i], keys[0]);
            SiftDown(keys, 0, k);
        }
    }

    private static void SiftDown(SortKey[] heap, int i, int size)
    {
        var x = heap[i];
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1].CompareTo(heap[child]) > 0) child++;
            if (heap[child].CompareTo(x) <= 0) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = x;
    }

    /// <summary>
    /// The buffers a search works in, kept per thread between searches: lists of domains, sort keys and
    /// the scoring arrays. A search takes them for one call (<see cref="PlaceMinimum"/>,
    /// <see cref="PlaceExtras"/>) and gives them back; a second search on the same thread meanwhile
    /// (none does) would simply get new ones.
    /// </summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? t_cached;

        private readonly List<List<int>> _lists = [];
        private SortKey[] _keys = new SortKey[64];
        private int[] _candidates = new int[64];
        private long[] _raw = new long[64];
        private long[] _total = new long[64];

        public static Scratch Take()
        {
            var s = t_cached ?? new Scratch();
            t_cached = null;
            return s;
        }

        public static void Give(Scratch s) => t_cached = s;

        public List<int> Rent()
        {
            if (_lists.Count == 0) return new List<int>(32);
            var b = _lists[^1];
            _lists.RemoveAt(_lists.Count - 1);
            return b;
        }

        public void Return(List<int> list)
        {
            list.Clear();
            _lists.Add(list);
        }

        /// <summary>The sort key array, at least <paramref name="count"/> long (contents kept when it grows).</summary>
        public SortKey[] Keys(int count)
        {
            if (count > _keys.Length) Array.Resize(ref _keys, Math.Max(count, _keys.Length * 2));
            return _keys;
        }

        public int[] Candidates(int count)
        {
            if (count > _candidates.Length) _candidates = new int[Math.Max(count, _candidates.Length * 2)];
            return _candidates;
        }

        public (long[] Raw, long[] Total) Scores(int count)
        {
            if (count > _raw.Length)
            {
                _raw = new long[Math.Max(count, _raw.Length * 2)];
                _total = new long[_raw.Length];
            }
            return (_raw, _total);
        }
    }

    private IEnumerable<GangNode> OrderChildren(GangNode g) =>
        // Hardest first (most GPUs), so a big child is not starved by small siblings; then as declared.
        g.Children.Select((c, i) => (c, i)).OrderByDescending(x => _demand[x.c.Index].Gpu).ThenBy(x => x.i).Select(x => x.c);

    private bool Fail(LevelFailure failure)
    {
        _failures.Add(failure);
        return false;
    }

    private bool FailLevel(GangNode g, int depth, int best, StatusCode code, int unlabelled, string? unlabelledLevel)
    {
        var level = _tree.LevelName(depth);
        if (g.IsLeaf)
        {
            var needed = g.MinMember - _bound[g.Index];
            return Fail(new LevelFailure(g.Path, level, needed, Math.Min(best, Math.Max(0, needed - 1)), DecisionText.Shape(_pending[g.Index].FirstOrDefault()), code)
            { UnlabelledNodes = unlabelled, UnlabelledLevel = unlabelledLevel });
        }
        var neededChildren = g.MinSubGroup - g.Children.Count(SatisfiedByBound);
        return Fail(new LevelFailure(g.Path, level, neededChildren, Math.Min(best, Math.Max(0, neededChildren - 1)), "sub-groups", code)
        { Kind = LevelFailureKind.SubGroups, Of = g.Children.Length, UnlabelledNodes = unlabelled, UnlabelledLevel = unlabelledLevel });
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
                var fits = Fits(child, c);
                var byCpu = _demand[child.Index].MilliCpu == 0 ? need : (int)Math.Min(need, _tree.FreeMilliCpu(c) / Math.Max(1, _demand[child.Index].MilliCpu / Math.Max(1, need)));
                best = Math.Max(best, Math.Min(fits, byCpu));
            }
            if (best < need && need > 0) FailLevel(child, depth, best, StatusCode.Unschedulable, 0, null);
        }
    }

    // ---- Could it ever fit? ------------------------------------------------------------------------------

    /// <summary>
    /// Whether the gang could fit if every pod it does not own were gone: per leaf, its pods' eligible
    /// nodes (spec-only filters) must exist, be large enough for its largest pod, and hold its minimum
    /// inside one labelled domain of its required level; a middle group needs enough such children.
    /// Conservative: false only when provably impossible, so a refusal is Unresolvable only then.
    /// </summary>
    public bool CouldEverFit(Session session) => CouldEverFit(session, _gang.Root);

    private bool AnyNodePassesUnresolvable(Pod pod)
    {
        foreach (var node in _snapshot.Nodes)
            if (_profile.Filters.PassesUnresolvable(pod, node)) return true;
        return false;
    }

    private bool CouldEverFit(Session session, GangNode g)
    {
        if (SatisfiedByBound(g)) return true;
        if (!g.IsLeaf)
        {
            var fit = 0;
            foreach (var c in g.Children)
                if (CouldEverFit(session, c)) fit++;
            return fit >= g.MinSubGroup;
        }
        var need = g.MinMember - _bound[g.Index];
        var pods = _pending[g.Index];
        if (need <= 0 || pods.Count == 0) return true;
        // Bound members pin the domain: whether the rest fits there depends on who else runs there.
        for (var a = g; a is not null; a = a.Parent)
            if (_pinned[a.Index] >= 0) return true;
        Pod largest = pods[0], smallest = pods[0];
        foreach (var p in pods)
        {
            if (p.Requests.Gpu > largest.Requests.Gpu) largest = p;
            if (p.Requests.Gpu < smallest.Requests.Gpu) smallest = p;
        }
        var eligible = session.Eligibility.For(largest, _profile.Filters);
        if (eligible.Count == 0 || largest.Requests.Gpu > eligible.MaxAllocatableGpu) return false;
        // A claim that is missing, or whose volume no node can reach, fails on every node whatever is freed.
        foreach (var p in pods)
            if (!p.Claims.IsDefaultOrEmpty && !AnyNodePassesUnresolvable(p)) return false;
        // Counted at the smallest pod's size, so a mix of sizes is never called impossible when it is not;
        // the whole cluster (depth 0) when no level is required.
        return eligible.BestDomainCapacity(_tree, g.RequiredDepth, smallest.Requests.Gpu, g.RequiredDepth) >= need;
    }

    // ---- Index -------------------------------------------------------------------------------------

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
                PinConflict ??= (_gang.Nodes[i].Path, set.Count, _tree.LevelName(_gang.Nodes[i].RequiredDepth));
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

    private List<int> Rent() => _scratch.Rent();

    private void Return(List<int> buffer) => _scratch.Return(buffer);
}
