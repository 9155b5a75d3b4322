"""`depositdesk networks`: the EVM networks this deployment reads, and the start-up check that each
provider serves the chain id of its network (a wrong URL stops the start with a message)."""

from __future__ import annotations

import click

from app.cli.common import cli_settings
from app.settings import Settings
from chains.ethereum.networks import NetworkCheckError, check_chain_id, check_tokens, http_call, safe_url


def check_networks_at_start(settings: Settings, *, tokens: bool = False) -> list[str]:
    """Raises ClickException when a provider of Ethereum or of a network named in EVM_NETWORKS serves
    another chain (or, with ``tokens``, a token's decimals() differ from the configuration). Providers
    that do not answer are only reported (returned): a public node being down must not stop the service.
    Nothing is asked when EVM_NETWORKS is empty (Ethereum alone: nothing to confuse it with)."""
    if not settings.evm_networks:
        return []
    call = http_call(settings.provider_timeout_seconds)
    unreachable = []
    for name, network in settings.evm_network_configs().items():
        reachable = []
        for url in network.providers:
            try:
                check_chain_id(network, url, call)
                reachable.append(url)
            except NetworkCheckError as exc:
                if "serves chain id" in str(exc) or "gave no chain id" in str(exc):
                    raise click.ClickException(str(exc)) from None
                unreachable.append(f"{name}: {safe_url(url)} did not answer eth_chainId")
        if tokens and reachable and name != "eth":  # Ethereum's own tokens: ETH_TOKENS, as always
            try:
                check_tokens(network, reachable[0], call)
            except NetworkCheckError as exc:
                raise click.ClickException(str(exc)) from None
    return unreachable


@click.command(name="networks")
@click.option(
    "--check", "check_nodes", is_flag=True, help="Ask every provider for its chain id and every token for decimals()."
)
def networks_command(check_nodes: bool) -> None:
    """List the EVM networks (chain id, native asset, finality rule, tokens, providers by host)."""
    settings = cli_settings()
    for network in settings.evm_network_configs().values():
        tokens = ", ".join(f"{t.symbol}={t.contract}:{t.decimals}" for t in network.tokens) or "none"
        click.echo(
            f"{network.name}  chain id {network.chain_id}  {network.native}  final after {network.finality_rule()}"
        )
        click.echo(f"  tokens: {tokens}")
        click.echo("  providers: " + ", ".join(safe_url(u) for u in network.providers))
    if check_nodes:
        for line in check_networks_at_start(settings, tokens=True):
            click.echo(f"warning: {line}", err=True)
        click.echo("every reachable provider serves its network; token decimals match")
