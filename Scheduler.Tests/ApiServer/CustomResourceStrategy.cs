using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// A custom resource served from its CustomResourceDefinition, with the rules of
/// apiextensions-apiserver's customresource strategy: generation starts at 1 and moves on any change
/// outside metadata (and status, when the status subresource is on); create drops status when the
/// subresource is on; a /status write keeps everything but status; PUT needs metadata.resourceVersion;
/// strategic merge patch is refused (415); list items keep apiVersion and kind; the structural schema
/// prunes, defaults and validates. Versions are served without conversion (strategy None).
/// </summary>
internal sealed class CustomResourceStrategy : ResourceKind
{
    public required JsonObject Schema { get; init; }

    /// <summary>spec.versions[].selectableFields: extra field selectors the CRD declares (jsonPath → field label).</summary>
    public IReadOnlyList<string> SelectableFields { get; init; } = [];

    public required string StorageVersion { get; init; }

    public override string StorageName => QualifiedResource;

    public override bool IsCustomResource => true;

    public override bool TracksGeneration => true;

    public override bool AllowUnconditionalUpdate => false;

    public override IEnumerable<string> FieldLabels => base.FieldLabels.Concat(SelectableFields);

    /// <summary>Kinds for every served version of a CRD.</summary>
    public static IEnumerable<CustomResourceStrategy> FromDefinition(V1CustomResourceDefinition crd)
    {
        var spec = crd.Spec;
        var storage = spec.Versions.First(v => v.Storage).Name;
        foreach (var v in spec.Versions.Where(v => v.Served))
        {
            var schema = v.Schema?.OpenAPIV3Schema is { } s
                ? (JsonObject)JsonNode.Parse(KubernetesJson.Serialize(s))!
                : new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            yield return new CustomResourceStrategy
            {
                Group = spec.Group,
                Version = v.Name,
                Plural = spec.Names.Plural,
                Kind = spec.Names.Kind,
                ListKindOverride = spec.Names.ListKind ?? spec.Names.Kind + "List",
                Namespaced = spec.Scope == "Namespaced",
                HasStatus = v.Subresources?.Status is not null,
                Schema = schema,
                StorageVersion = storage,
                SelectableFields = v.SelectableFields?.Select(f => f.JsonPath.TrimStart('.')).ToList() ?? [],
            };
        }
    }

    public override void Decode(JsonObject obj, ApiContext ctx)
    {
        // metadata is an ObjectMeta like any other object's; the rest follows the structural schema.
        if (obj["metadata"] is JsonObject meta)
        {
            var wrapper = new JsonObject { ["metadata"] = meta.DeepClone() };
            ModelSchema.For(typeof(MetadataOnly)).Normalize(wrapper, this, ctx.Warnings);
            obj["metadata"] = wrapper["metadata"]?.DeepClone();
        }
        StructuralSchema.PruneAndDefault(obj, Schema, ctx.Warnings);
    }

    public override JsonObject ToStorage(JsonObject wire)
    {
        var stored = WithTypeMeta(wire);
        stored["apiVersion"] = $"{Group}/{StorageVersion}";
        return stored;
    }

    /// <summary>Unstructured objects are Go maps, which encoding/json writes with keys sorted at every level.</summary>
    public override JsonObject FromStorage(JsonObject stored)
    {
        var copy = (JsonObject)Sorted(stored)!;
        copy["apiVersion"] = GroupVersion;
        return copy;
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };

    public override JsonObject AsListItem(JsonObject wire) => wire;

    public override void PrepareForCreate(JsonObject obj, ApiContext ctx)
    {
        if (HasStatus) obj.Remove("status");
        base.PrepareForCreate(obj, ctx);
    }

    protected override bool SpecChanged(JsonObject obj, JsonObject old) => HasStatus
        ? !JsonNode.DeepEquals(JsonObjects.Without(obj, "metadata", "status"), JsonObjects.Without(old, "metadata", "status"))
        : !JsonNode.DeepEquals(JsonObjects.Without(obj, "metadata"), JsonObjects.Without(old, "metadata"));

    /// <summary>statusStrategy.PrepareForUpdate: the new object is the old one with the new status.</summary>
    public override void PrepareForStatusUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        var status = obj["status"]?.DeepClone();
        foreach (var key in obj.Select(p => p.Key).ToList()) obj.Remove(key);
        foreach (var (key, value) in old) obj[key] = value?.DeepClone();
        if (status is not null) obj["status"] = status;
        else obj.Remove("status");
    }

    public override List<FieldError> ValidateCreate(JsonObject obj, ApiContext ctx) => Validate(obj, null);

    public override List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, ApiContext ctx) => Validate(obj, old);

    public override List<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old, ApiContext ctx) => Validate(obj, old);

    /// <summary>
    /// customResourceStrategy.Validate: metadata, schema, then CEL rules unless a "blocking" schema
    /// error (type, required, enum, too long, too many) means the rules cannot be trusted to run.
    /// </summary>
    private List<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        var errs = Validation.ObjectMeta(obj, this);
        errs.AddRange(StructuralSchema.Validate(obj, Schema));
        if (errs.Any(e => e.Type is "FieldValueNotSupported" or "FieldValueRequired" or "FieldValueTooLong" or "FieldValueTooMany" or "FieldValueTypeInvalid"))
            errs.Add(new FieldError("FieldValueInvalid", "<nil>", "Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"));
        else
            errs.AddRange(CelRules.Validate(obj, old, Schema));
        return errs;
    }

    /// <summary>An empty unstructured object of the kind, carrying only the resourceVersion.</summary>
    public override JsonObject Bookmark(long revision) => new()
    {
        ["apiVersion"] = GroupVersion,
        ["kind"] = Kind,
        ["metadata"] = new JsonObject { ["resourceVersion"] = JsonObjects.Rv(revision) },
    };

    /// <summary>Only for its "metadata" property: the ObjectMeta shape custom resources get.</summary>
    private sealed class MetadataOnly
    {
        [System.Text.Json.Serialization.JsonPropertyName("metadata")]
        public V1ObjectMeta? Metadata { get; set; }
    }
}
