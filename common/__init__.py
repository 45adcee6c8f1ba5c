"""What both programs run on, and no fact of the domain: settings declared once
(`common.config`), telemetry (`common.telemetry`) and the listening socket (`common.runtime`).
The facts both programs share are the API's (`protos/actions`: the messages and
`actions.contract`)."""
