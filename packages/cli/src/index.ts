// @fustor/cli: the `fustor` command line (bin/fustor.js runs main).

export { main, buildProgram } from './main.js';
export { EXIT, CliError } from './errors.js';
