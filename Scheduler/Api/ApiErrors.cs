using Grpc.Core;

namespace Quorum.Api;

/// <summary>The gRPC statuses the API answers with; messages name the request field at fault.</summary>
internal static class ApiErrors
{
    public static RpcException Invalid(string field, string problem) => new(new Status(StatusCode.InvalidArgument, $"{field}: {problem}"));

    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public static RpcException NotFound(string message) => new(new Status(StatusCode.NotFound, message));

    public static RpcException Unavailable(string message) => new(new Status(StatusCode.Unavailable, message));

    public static RpcException Unauthenticated(string message) => new(new Status(StatusCode.Unauthenticated, message));

    public static RpcException PermissionDenied(string message) => new(new Status(StatusCode.PermissionDenied, message));

    public static RpcException ResourceExhausted(string message) => new(new Status(StatusCode.ResourceExhausted, message));
}
