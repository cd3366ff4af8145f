using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Recurring.Daemon.Admin;

/// <summary>
/// Guards the mutating routes: `Authorization: Bearer &lt;Admin:Token&gt;`, compared in constant time. Without a
/// configured token they are refused, unless Admin:AllowUnauthenticatedLoopback is set for a loopback-only port
/// and the caller is local.
/// </summary>
public sealed class AdminTokenFilter(AdminOptions options) : IEndpointFilter
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(options.Token);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_token.Length == 0)
        {
            bool local = http.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
            if (options.AllowUnauthenticatedLoopback && options.BindsLoopbackOnly && local) return next(context);
            return ValueTask.FromResult<object?>(Results.Problem(
                "No Admin:Token is configured, so control routes are disabled.", statusCode: StatusCodes.Status403Forbidden));
        }

        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        bool valid = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                     && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _token);
        if (valid) return next(context);
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(Results.Problem("A valid bearer token is required.", statusCode: StatusCodes.Status401Unauthorized));
    }
}
