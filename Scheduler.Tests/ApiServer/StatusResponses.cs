using System.Globalization;
using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// A request the API server refuses. Carries what k8s.io/apimachinery/pkg/api/errors puts in a
/// metav1.Status: HTTP code, machine-readable reason, human message, and details (name, group, kind as
/// the resource plural, causes). Thrown anywhere in request handling and written as the Status body.
/// </summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    /// <summary>Extra response headers (Retry-After on 429/504, as the real server sends).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The metav1.Status object, fields in the order Go's encoder writes them.</summary>
    public JsonObject ToStatus() => StatusResponses.Failure(Code, Reason, Message, Details?.DeepClone().AsObject());
}

/// <summary>One field.Error of k8s.io/apimachinery/pkg/util/validation/field, rendered the same way.</summary>
internal sealed record FieldError(string Type, string Field, string Body)
{
    public static FieldError Required(string field, string detail = "") =>
        new("FieldValueRequired", field, detail.Length == 0 ? "Required value" : $"Required value: {detail}");

    public static FieldError Invalid(string field, JsonNode? value, string detail) =>
        new("FieldValueInvalid", field, $"Invalid value: {Render(value)}{(detail.Length == 0 ? "" : ": " + detail)}");

    public static FieldError Forbidden(string field, string detail) => new("FieldValueForbidden", field, $"Forbidden: {detail}");

    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", field, $"Unsupported value: {Render(value)}: supported values: {string.Join(", ", supported.Select(s => $"\"{s}\""))}");

    public static FieldError Duplicate(string field, JsonNode? value) => new("FieldValueDuplicate", field, $"Duplicate value: {Render(value)}");

    public static FieldError TooLong(string field, int max) => new("FieldValueTooLong", field, $"Too long: may not be more than {max} bytes");

    public static FieldError TypeInvalid(string field, JsonNode? value, string detail) => new("FieldValueTypeInvalid", field, $"Invalid value: {Render(value)}: {detail}");

    public override string ToString() => $"{Field}: {Body}";

    /// <summary>field.Error prints strings quoted and numbers/bools bare.</summary>
    private static string Render(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => $"\"{s}\"",
        JsonValue v => v.ToJsonString(),
        _ => "\"object\"",
    };
}

/// <summary>Builders for the Status objects and errors the real API server returns.</summary>
internal static class StatusResponses
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
        };
        // StatusReasonUnknown is the empty string, which omitempty leaves out.
        if (reason.Length > 0) status["reason"] = reason;
        if (details is not null) status["details"] = details;
        status["code"] = code;
        return status;
    }

    /// <summary>What a delete returns for stores without ReturnDeletedObject (genericregistry.Store).</summary>
    public static JsonObject DeleteSuccess(ResourceKind kind, string name, string? uid)
    {
        var details = Details(kind, name);
        if (uid is not null) details["uid"] = uid;
        return new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["details"] = details };
    }

    /// <summary>A create that returns a bare Status (pods/binding): the handler stamps 201 into it.</summary>
    public static JsonObject CreatedSuccess() =>
        new() { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 };

    public static JsonObject Details(ResourceKind kind, string name, string? resourceOverride = null)
    {
        var details = new JsonObject { ["name"] = name };
        if (kind.Group.Length > 0) details["group"] = kind.Group;
        details["kind"] = resourceOverride ?? kind.Plural;
        return details;
    }

    public static ApiException NotFound(ResourceKind kind, string name) =>
        new(404, "NotFound", $"{kind.QualifiedResource} \"{name}\" not found", Details(kind, name));

    /// <summary>The catch-all 404 for a path no resource serves.</summary>
    public static ApiException PathNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static ApiException NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });

    public static ApiException AlreadyExists(ResourceKind kind, string name) =>
        new(409, "AlreadyExists", $"{kind.QualifiedResource} \"{name}\" already exists", Details(kind, name));

    /// <summary>errors.NewConflict: "Operation cannot be fulfilled on {resource} "{name}": {cause}".</summary>
    public static ApiException Conflict(ResourceKind kind, string name, string cause, string? resource = null) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource ?? kind.QualifiedResource} \"{name}\": {cause}",
            Details(kind, name, resource is null ? null : resource.Split('.')[0]));

    public const string ModifiedCause = "the object has been modified; please apply your changes to the latest version and try again";

    /// <summary>errors.NewInvalid: 422 with one cause per field error.</summary>
    public static ApiException Invalid(string qualifiedKind, string name, string group, IReadOnlyList<FieldError> errors)
    {
        var summary = errors.Count == 1 ? errors[0].ToString() : $"[{string.Join(", ", errors)}]";
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0) details["group"] = group;
        details["kind"] = qualifiedKind.Split('.')[0];
        details["causes"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject { ["reason"] = e.Type, ["message"] = e.Body, ["field"] = e.Field }).ToArray());
        return new ApiException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {summary}", details);
    }

    public static ApiException Invalid(ResourceKind kind, string name, IReadOnlyList<FieldError> errors) =>
        Invalid(kind.QualifiedKind, name, kind.Group, errors);

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Forbidden(ResourceKind kind, string name, string why, JsonArray? causes = null)
    {
        var details = Details(kind, name);
        if (causes is not null) details["causes"] = causes;
        return new ApiException(403, "Forbidden", $"{kind.QualifiedResource} \"{name}\" is forbidden: {why}", details);
    }

    public static ApiException MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new JsonObject());

    public static ApiException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

    /// <summary>errors.NewResourceExpired: 410 with reason Expired and no details.</summary>
    public static ApiException Expired(string message) => new(410, "Expired", message);

    /// <summary>storage.NewTooLargeResourceVersionError as the cacher reports it after waiting ~3 s.</summary>
    public static ApiException TooLargeResourceVersion(long requested, long current) =>
        new(504, "Timeout", $"Timeout: Too large resource version: {requested.ToString(CultureInfo.InvariantCulture)}, current: {current.ToString(CultureInfo.InvariantCulture)}",
            new JsonObject
            {
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
                ["retryAfterSeconds"] = 1,
            })
        { RetryAfterSeconds = 1 };

    /// <summary>A status for an injected failure, with the reason the real server pairs with that code.</summary>
    public static ApiException ForCode(int code, string message) => code switch
    {
        400 => BadRequest(message),
        401 => new ApiException(401, "Unauthorized", "Unauthorized"),
        403 => new ApiException(403, "Forbidden", message),
        404 => new ApiException(404, "NotFound", message),
        409 => new ApiException(409, "Conflict", message),
        410 => Expired(message),
        422 => new ApiException(422, "Invalid", message),
        429 => new ApiException(429, "TooManyRequests", "Too many requests, please try again later.", new JsonObject { ["retryAfterSeconds"] = 1 }) { RetryAfterSeconds = 1 },
        500 => new ApiException(500, "InternalError", $"Internal error occurred: {message}",
            new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) }),
        503 => new ApiException(503, "ServiceUnavailable", message) { RetryAfterSeconds = 1 },
        504 => new ApiException(504, "Timeout", message, new JsonObject { ["retryAfterSeconds"] = 1 }) { RetryAfterSeconds = 1 },
        _ => new ApiException(code, "Unknown", message),
    };
}
