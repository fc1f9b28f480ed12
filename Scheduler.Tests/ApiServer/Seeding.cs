using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// Writes from the test itself (<see cref="KubeApiStandIn.Put{T}"/>): an object as it would exist after
/// being created through the API and then having its status written by its controller — defaults,
/// admission and validation apply, the given status is kept, the namespace is created if missing.
/// It is a real write: new resourceVersion, watch events.
/// </summary>
internal sealed partial class ApiHandlers
{
    internal JsonObject Seed(ResourceKind kind, JsonObject wire)
    {
        var api = new ApiContext(store, options);
        kind.Decode(wire, api);
        var obj = kind.ToStorage(wire);
        var meta = JsonObjects.Metadata(obj);
        var name = JsonObjects.Name(obj);
        if (name.Length == 0) throw new ArgumentException("a seeded object needs metadata.name");
        string? ns = null;
        if (kind.Namespaced)
        {
            ns = JsonObjects.Str(meta["namespace"]);
            if (string.IsNullOrEmpty(ns)) meta["namespace"] = ns = "default";
            EnsureNamespace(ns, api);
        }
        else
        {
            meta.Remove("namespace");
        }
        meta.Remove("resourceVersion");
        var key = ObjectStore.Key(ns, name);
        var existing = store.Get(kind.StorageName, key);
        var givenStatus = obj["status"]?.DeepClone();
        kind.Default(obj, api);
        if (existing is null)
        {
            kind.AdmitCreate(obj, api);
            var prepared = obj.DeepClone().AsObject();
            kind.PrepareForCreate(prepared, api);
            if (givenStatus is JsonObject { Count: > 0 })
            {
                // The controller's status write: merged over what create left (node skeleton, pod QoS class).
                prepared["status"] = JsonPatch.MergePatch(prepared["status"], givenStatus);
            }
            obj = prepared;
            meta = JsonObjects.Metadata(obj);
            if (string.IsNullOrEmpty(JsonObjects.Str(meta["uid"]))) meta["uid"] = Guid.NewGuid().ToString();
            if (meta["creationTimestamp"] is null) meta["creationTimestamp"] = JsonObjects.Time(api.Now);
            var errs = kind.ValidateCreate(obj, api);
            if (errs.Count > 0) throw StatusResponses.Invalid(kind, name, errs);
            return kind.FromStorage(store.Create(kind.StorageName, key, obj));
        }
        var oldMeta = JsonObjects.Metadata(existing);
        foreach (var field in new[] { "uid", "creationTimestamp", "generation" })
        {
            if (meta[field] is null && oldMeta[field] is { } value) meta[field] = value.DeepClone();
        }
        if (kind.TracksGeneration && JsonObjects.Long(meta["generation"]) == JsonObjects.Long(oldMeta["generation"]))
        {
            var probe = obj.DeepClone().AsObject();
            kind.PrepareForUpdate(probe, existing, api);
            meta["generation"] = probe["metadata"]?["generation"]?.DeepClone();
        }
        return kind.FromStorage(store.Update(kind.StorageName, key, obj));
    }

    private void EnsureNamespace(string ns, ApiContext api)
    {
        if (store.Get("namespaces", ns) is not null) return;
        var kind = kinds.Find("", "v1", "namespaces")!;
        Create(kind, null, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } }, api, dryRun: false);
    }

    /// <summary>What a fresh cluster has before anyone uses it.</summary>
    internal void Bootstrap()
    {
        var api = new ApiContext(store, options);
        store.Atomically(() =>
        {
            foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" }) EnsureNamespace(ns, api);
            var pcs = kinds.Find("scheduling.k8s.io", "v1", "priorityclasses")!;
            foreach (var pc in PriorityClassStrategy.SystemClasses)
            {
                if (store.Get(pcs.StorageName, pc.Name) is null) Create(pcs, null, PriorityClassStrategy.System(pc), api, dryRun: false);
            }
        });
    }

    /// <summary>Immediate removal from the test side (no grace, finalizers ignored). False when absent.</summary>
    internal bool Remove(ResourceKind kind, string? ns, string name) => store.Atomically(() =>
    {
        var key = ObjectStore.Key(kind.Namespaced ? ns ?? "default" : null, name);
        if (store.Get(kind.StorageName, key) is null) return false;
        store.Delete(kind.StorageName, key);
        return true;
    });
}
