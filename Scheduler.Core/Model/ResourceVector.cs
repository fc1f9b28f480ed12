using System.Collections.Immutable;
using System.Text;

namespace Quorum.Core.Model;

/// <summary>
/// An amount of every resource a pod requests or a node offers: the four dimensions every GPU node
/// has as fields, anything else (rdma/ib, ephemeral-storage, other devices) in a small sorted list.
/// A value type, so capacity arithmetic on the hot path allocates nothing unless extended
/// resources are in play.
/// </summary>
public readonly struct ResourceVector : IEquatable<ResourceVector>
{
    private readonly ImmutableArray<KeyValuePair<string, long>> _extended;

    public ResourceVector(long milliCpu, long memory, long gpu, long pods, ImmutableArray<KeyValuePair<string, long>> extended = default)
    {
        MilliCpu = milliCpu;
        Memory = memory;
        Gpu = gpu;
        Pods = pods;
        _extended = extended.IsDefaultOrEmpty ? default : extended;
    }

    public static ResourceVector Zero => default;

    public long MilliCpu { get; }
    public long Memory { get; }
    public long Gpu { get; }
    public long Pods { get; }

    /// <summary>Extended resources other than nvidia.com/gpu, sorted by name, zeros dropped.</summary>
    public ImmutableArray<KeyValuePair<string, long>> Extended => _extended.IsDefault ? [] : _extended;

    public bool IsZero => MilliCpu == 0 && Memory == 0 && Gpu == 0 && Pods == 0 && _extended.IsDefaultOrEmpty;

    /// <summary>Builds a vector from named amounts already in scheduler units (millicores for cpu).</summary>
    public static ResourceVector FromNamed(IEnumerable<KeyValuePair<string, long>> amounts)
    {
        long cpu = 0, mem = 0, gpu = 0, pods = 0;
        SortedDictionary<string, long>? ext = null;
        foreach (var (name, amount) in amounts)
        {
            switch (name)
            {
                case ResourceNames.Cpu: cpu += amount; break;
                case ResourceNames.Memory: mem += amount; break;
                case ResourceNames.NvidiaGpu: gpu += amount; break;
                case ResourceNames.Pods: pods += amount; break;
                default:
                    if (amount == 0) break;
                    ext ??= new SortedDictionary<string, long>(StringComparer.Ordinal);
                    ext[name] = ext.GetValueOrDefault(name) + amount;
                    break;
            }
        }
        return new ResourceVector(cpu, mem, gpu, pods, ext is null ? default : [.. ext]);
    }

    public long Get(string name) => name switch
    {
        ResourceNames.Cpu => MilliCpu,
        ResourceNames.Memory => Memory,
        ResourceNames.NvidiaGpu => Gpu,
        ResourceNames.Pods => Pods,
        _ => FindExtended(name),
    };

    private long FindExtended(string name)
    {
        if (_extended.IsDefault) return 0;
        foreach (var kv in _extended)
            if (kv.Key == name) return kv.Value;
        return 0;
    }

    public ResourceVector WithPods(long pods) => new(MilliCpu, Memory, Gpu, pods, _extended);

    public static ResourceVector operator +(ResourceVector a, ResourceVector b) =>
        new(a.MilliCpu + b.MilliCpu, a.Memory + b.Memory, a.Gpu + b.Gpu, a.Pods + b.Pods, Merge(a._extended, b._extended, 1));

    public static ResourceVector operator -(ResourceVector a, ResourceVector b) =>
        new(a.MilliCpu - b.MilliCpu, a.Memory - b.Memory, a.Gpu - b.Gpu, a.Pods - b.Pods, Merge(a._extended, b._extended, -1));

    /// <summary>Element-wise maximum, used for init containers (kube-scheduler's effective request).</summary>
    public static ResourceVector Max(ResourceVector a, ResourceVector b)
    {
        var names = a.Extended.Select(kv => kv.Key).Union(b.Extended.Select(kv => kv.Key));
        var ext = names.Select(n => new KeyValuePair<string, long>(n, Math.Max(a.FindExtended(n), b.FindExtended(n))));
        return new ResourceVector(Math.Max(a.MilliCpu, b.MilliCpu), Math.Max(a.Memory, b.Memory),
            Math.Max(a.Gpu, b.Gpu), Math.Max(a.Pods, b.Pods), Normalize(ext));
    }

    /// <summary>True when any dimension is below zero.</summary>
    public bool AnyNegative
    {
        get
        {
            if (MilliCpu < 0 || Memory < 0 || Gpu < 0 || Pods < 0) return true;
            if (_extended.IsDefault) return false;
            foreach (var kv in _extended)
                if (kv.Value < 0) return true;
            return false;
        }
    }

    /// <summary>True when every dimension of this request fits in <paramref name="free"/>.</summary>
    public bool FitsIn(in ResourceVector free)
    {
        // A dimension the request does not use never blocks, even on an over-committed node
        // (kube-scheduler's noderesources.fitsRequest).
        if ((MilliCpu > 0 && MilliCpu > free.MilliCpu) || (Memory > 0 && Memory > free.Memory)
            || (Gpu > 0 && Gpu > free.Gpu) || (Pods > 0 && Pods > free.Pods)) return false;
        if (_extended.IsDefault) return true;
        foreach (var kv in _extended)
            if (kv.Value > 0 && kv.Value > free.FindExtended(kv.Key)) return false;
        return true;
    }

    /// <summary>Names of the resources this request lacks in <paramref name="free"/>, in kube-scheduler's order.</summary>
    public IEnumerable<string> Insufficient(ResourceVector free)
    {
        if (Pods > 0 && Pods > free.Pods) yield return ResourceNames.Pods;
        if (MilliCpu > 0 && MilliCpu > free.MilliCpu) yield return ResourceNames.Cpu;
        if (Memory > 0 && Memory > free.Memory) yield return ResourceNames.Memory;
        if (Gpu > 0 && Gpu > free.Gpu) yield return ResourceNames.NvidiaGpu;
        if (_extended.IsDefault) yield break;
        foreach (var kv in _extended)
            if (kv.Value > 0 && kv.Value > free.FindExtended(kv.Key)) yield return kv.Key;
    }

    private static ImmutableArray<KeyValuePair<string, long>> Merge(
        ImmutableArray<KeyValuePair<string, long>> a, ImmutableArray<KeyValuePair<string, long>> b, int sign)
    {
        if (b.IsDefaultOrEmpty) return a;
        if (a.IsDefaultOrEmpty && sign > 0) return b;
        var builder = ImmutableArray.CreateBuilder<KeyValuePair<string, long>>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < (a.IsDefault ? 0 : a.Length) || j < b.Length)
        {
            int cmp = i >= (a.IsDefault ? 0 : a.Length) ? 1 : j >= b.Length ? -1 : string.CompareOrdinal(a[i].Key, b[j].Key);
            if (cmp < 0) { builder.Add(a[i++]); continue; }
            if (cmp > 0) { var (k, v) = b[j++]; if (v != 0) builder.Add(new(k, sign * v)); continue; }
            var sum = a[i].Value + sign * b[j].Value;
            if (sum != 0) builder.Add(new(a[i].Key, sum));
            i++; j++;
        }
        return builder.Count == 0 ? default : builder.ToImmutable();
    }

    private static ImmutableArray<KeyValuePair<string, long>> Normalize(IEnumerable<KeyValuePair<string, long>> items)
    {
        var sorted = items.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToImmutableArray();
        return sorted.IsEmpty ? default : sorted;
    }

    public bool Equals(ResourceVector other) =>
        MilliCpu == other.MilliCpu && Memory == other.Memory && Gpu == other.Gpu && Pods == other.Pods
        && Extended.SequenceEqual(other.Extended);

    public override bool Equals(object? obj) => obj is ResourceVector v && Equals(v);

    public override int GetHashCode() => HashCode.Combine(MilliCpu, Memory, Gpu, Pods, Extended.Length);

    public static bool operator ==(ResourceVector a, ResourceVector b) => a.Equals(b);

    public static bool operator !=(ResourceVector a, ResourceVector b) => !a.Equals(b);

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("cpu=").Append(MilliCpu).Append("m memory=").Append(Memory)
          .Append(" gpu=").Append(Gpu).Append(" pods=").Append(Pods);
        foreach (var (k, v) in Extended) sb.Append(' ').Append(k).Append('=').Append(v);
        return sb.ToString();
    }
}
