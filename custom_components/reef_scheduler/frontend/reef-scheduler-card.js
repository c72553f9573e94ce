// The reef day card: helper J's branch replaces this placeholder.
