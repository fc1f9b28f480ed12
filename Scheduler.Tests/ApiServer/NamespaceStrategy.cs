using System.Text.Json.Nodes;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// Namespaces (pkg/registry/core/namespace and the NamespaceLifecycle admission plugin): created
/// Active with the "kubernetes" finalizer and the kubernetes.io/metadata.name label; deleting one makes
/// it Terminating and the namespace controller then empties and removes it (emulated by the handlers);
/// default, kube-system and kube-public cannot be deleted.
/// </summary>
internal sealed class NamespaceStrategy : ResourceKind
{
    public static readonly string[] Immortal = ["default", "kube-system", "kube-public"];

    public override bool ReturnDeletedObject => true;

    public override Type ModelType => typeof(V1Namespace);

    public override IEnumerable<string> FieldLabels => ["metadata.name", "status.phase"];

    public override IEnumerable<string> ValidateName(string name) => Validation.IsDns1123Label(name);

    public override void Default(JsonObject obj, ApiContext ctx)
    {
        obj["spec"] ??= new JsonObject();
        obj["status"] ??= new JsonObject();
        var labels = JsonObjects.Ensure(obj, "metadata.labels");
        var name = JsonObjects.Name(obj);
        if (name.Length > 0) labels["kubernetes.io/metadata.name"] = name;
    }

    public override void PrepareForCreate(JsonObject obj, ApiContext ctx)
    {
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        var spec = JsonObjects.Ensure(obj, "spec");
        var finalizers = spec["finalizers"] as JsonArray ?? new JsonArray();
        if (!finalizers.Any(f => JsonObjects.Str(f) == "kubernetes")) finalizers.Add("kubernetes");
        spec["finalizers"] = finalizers;
        base.PrepareForCreate(obj, ctx);
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        base.PrepareForUpdate(obj, old, ctx);
        if (old["spec"] is { } spec) obj["spec"] = spec.DeepClone();
        else obj.Remove("spec");
    }

    public override void CheckDelete(JsonObject obj)
    {
        var name = JsonObjects.Name(obj);
        if (Immortal.Contains(name)) throw StatusResponses.Forbidden(this, name, "this namespace may not be deleted");
    }
}
