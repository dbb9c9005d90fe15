"""The upload pane: the screen with its two tabs, Stratos for Power (``stratos``) and Hosts
(``hosts``), and their dialogs."""
