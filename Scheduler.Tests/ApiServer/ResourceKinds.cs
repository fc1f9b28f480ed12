using System.Reflection;
using k8s;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// The routing table: which (group, version, plural) the stand-in serves and with which strategy.
/// Built-ins are the ones a scheduler touches; custom resources come from CRDs (the repository's,
/// by default, exactly as installing manifests/crds would register them).
/// </summary>
internal sealed class ResourceKinds
{
    private readonly List<ResourceKind> _kinds = [];
    private readonly Lock _gate = new();

    public static ResourceKinds BuiltIn()
    {
        var kinds = new ResourceKinds();
        kinds.Add(new PodStrategy { Group = "", Version = "v1", Plural = "pods", Kind = "Pod", Namespaced = true, HasStatus = true });
        kinds.Add(new NodeStrategy { Group = "", Version = "v1", Plural = "nodes", Kind = "Node", HasStatus = true });
        kinds.Add(new NamespaceStrategy { Group = "", Version = "v1", Plural = "namespaces", Kind = "Namespace", HasStatus = true });
        kinds.Add(new CoreEventStrategy { Group = "", Version = "v1", Plural = "events", Kind = "Event", Namespaced = true });
        kinds.Add(new EventsV1Strategy { Group = "events.k8s.io", Version = "v1", Plural = "events", Kind = "Event", Namespaced = true });
        kinds.Add(new LeaseStrategy { Group = "coordination.k8s.io", Version = "v1", Plural = "leases", Kind = "Lease", Namespaced = true });
        kinds.Add(new PriorityClassStrategy { Group = "scheduling.k8s.io", Version = "v1", Plural = "priorityclasses", Kind = "PriorityClass" });
        kinds.Add(new ResourceKind { Group = "", Version = "v1", Plural = "persistentvolumeclaims", Kind = "PersistentVolumeClaim", Namespaced = true, HasStatus = true });
        kinds.Add(new ResourceKind { Group = "", Version = "v1", Plural = "persistentvolumes", Kind = "PersistentVolume", HasStatus = true });
        kinds.Add(new ResourceKind { Group = "storage.k8s.io", Version = "v1", Plural = "storageclasses", Kind = "StorageClass" });
        kinds.Add(new ResourceKind { Group = "storage.k8s.io", Version = "v1", Plural = "csinodes", Kind = "CSINode" });
        return kinds;
    }

    public IReadOnlyList<ResourceKind> All
    {
        get { lock (_gate) return _kinds.ToList(); }
    }

    public void Add(ResourceKind kind)
    {
        lock (_gate)
        {
            _kinds.RemoveAll(k => k.Group == kind.Group && k.Version == kind.Version && k.Plural == kind.Plural);
            _kinds.Add(kind);
        }
    }

    public void AddDefinition(V1CustomResourceDefinition crd)
    {
        foreach (var kind in CustomResourceStrategy.FromDefinition(crd)) Add(kind);
    }

    public ResourceKind? Find(string group, string version, string plural)
    {
        lock (_gate) return _kinds.FirstOrDefault(k => k.Group == group && k.Version == version && k.Plural == plural);
    }

    public bool ServesGroupVersion(string group, string version)
    {
        lock (_gate) return _kinds.Any(k => k.Group == group && k.Version == version);
    }

    /// <summary>The kind a client model type maps to, from its [KubernetesEntity] attribute.</summary>
    public ResourceKind ForType(Type type)
    {
        var entity = type.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{type.Name} has no [KubernetesEntity] attribute", nameof(type));
        return Find(entity.Group ?? "", entity.ApiVersion, entity.PluralName)
            ?? throw new ArgumentException($"{entity.Group}/{entity.ApiVersion} {entity.PluralName} is not served", nameof(type));
    }
}
